import { describe, expect, it } from 'vitest';
import { assertMayAddFactor, assertMayChangeSecurity } from './step-up.ts';

const now = new Date('2026-11-10T03:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
const none = { totp: false, passkeys: 0 };

describe('step-up rules for security changes', () => {
  it('a fresh sign-in without a step-up may add nothing', () => {
    const justSignedIn = { id: 'usr_1', session: { elevatedUntil: null, createdAt: now.toISOString() } };
    expect(() => assertMayAddFactor(justSignedIn, now)).toThrow(expect.objectContaining({ code: 'step_up_required' }));
    expect(() => assertMayChangeSecurity(justSignedIn, none, null, now)).toThrow(
      expect.objectContaining({ code: 'step_up_required', details: expect.objectContaining({ with: ['smsCode'] }) }),
    );
  });

  it('without a factor any step-up (the SMS one) will do; with one, only a TOTP or passkey step-up', () => {
    const up = { id: 'usr_1', session: { elevatedUntil: at(60_000) } };
    expect(() => assertMayChangeSecurity(up, none, null, now)).not.toThrow();
    expect(() => assertMayChangeSecurity(up, { totp: true, passkeys: 0 }, null, now)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ with: ['otp'] }) }),
    );
    expect(() => assertMayChangeSecurity(up, { totp: true, passkeys: 2 }, new Date(at(60_000)), now)).not.toThrow();
    expect(() => assertMayChangeSecurity(up, { totp: true, passkeys: 0 }, new Date(at(-1)), now)).toThrow();
  });

  it('a lapsed session elevation is not rescued by an old factor step-up record', () => {
    const lapsed = { id: 'usr_1', session: { elevatedUntil: at(-1) } };
    expect(() => assertMayChangeSecurity(lapsed, { totp: true, passkeys: 0 }, new Date(at(60_000)), now)).toThrow();
  });
});
