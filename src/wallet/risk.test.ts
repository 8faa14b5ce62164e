import { describe, expect, it } from 'vitest';
import { ALLOWED, statusFor } from './risk.ts';

const verdict = (decision: 'allow' | 'challenge' | 'review' | 'deny') => ({ ...ALLOWED, decision });

describe('statusFor: one enforcement rule for every money object', () => {
  it('review holds for an analyst, whatever the session holds', () => {
    expect(statusFor(verdict('review'), { needsFactor: false, elevated: true }, 'pending')).toBe('in_review');
  });
  it('a challenge waits for a factor unless the session holds a fresh one', () => {
    expect(statusFor(verdict('challenge'), { needsFactor: false, elevated: false }, 'succeeded')).toBe(
      'requires_action',
    );
    expect(statusFor(verdict('challenge'), { needsFactor: false, elevated: true }, 'succeeded')).toBe('succeeded');
  });
  it('a plain factor rule waits even when the decision allows', () => {
    expect(statusFor(verdict('allow'), { needsFactor: true, elevated: false }, 'pending')).toBe('requires_action');
    expect(statusFor(verdict('allow'), { needsFactor: false, elevated: false }, 'pending')).toBe('pending');
  });
});
