import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/index.ts';
import { decide } from './decide.ts';
import { type Rule, compileRule, compileRuleSet } from './rules.ts';
import { riskEvent, signalsOf } from './vocabulary.ts';

const rule = (r: Partial<Rule> = {}): Rule => ({
  id: 'r1',
  name: 'R1',
  expression: 'event.amount > 1000',
  action: 'review',
  score: 30,
  message: 'held',
  enabled: true,
  ...r,
});
const refusal = (r: Partial<Rule>): AppError => {
  try {
    compileRule(rule(r));
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('compiled');
};
const AT = new Date('2026-11-10T03:00:00Z');

describe('rule validation', () => {
  it('refuses a syntax error with its position', () => {
    const e = refusal({ expression: 'event.amount > ' });
    expect(e.code).toBe('rule_invalid');
    expect(e.details).toMatchObject({ rule: 'r1', position: 15 });
  });
  it('refuses an unknown field and an unknown variable, pointing at them', () => {
    expect(refusal({ expression: 'event.amout > 1' }).details).toMatchObject({ position: 6 });
    expect(refusal({ expression: 'event.amount > 1 && user.age > 3' }).details).toMatchObject({ position: 20 });
    expect(refusal({ expression: 'signals.walletsPerPhone > 1' }).message).toMatch(/walletsPerPhone/);
  });
  it('refuses a non-boolean, a wrong type, a huge and a deep expression', () => {
    expect(refusal({ expression: 'event.amount + 1.0' }).message).toMatch(/not bool/);
    expect(refusal({ expression: 'event.type > 3' }).code).toBe('rule_invalid');
    expect(refusal({ expression: `event.amount > 1 ${'|| event.amount > 2 '.repeat(120)}` }).message).toMatch(/2000/);
    expect(refusal({ expression: `${'('.repeat(40)}event.amount > 1${')'.repeat(40)}` }).message).toMatch(/maxDepth/);
  });
  it('refuses a bad action, score, restriction or duplicate id', () => {
    expect(refusal({ action: 'block' as never }).message).toMatch(/action/);
    expect(refusal({ score: 101 }).message).toMatch(/score/);
    expect(refusal({ restrictions: [{ type: 'charge_daily_cap', durationHours: 24, message: 'x' }] }).message).toMatch(
      /limit/,
    );
    expect(() => compileRuleSet(1, [rule(), rule()])).toThrow(/duplicate/);
  });
});

describe('decide', () => {
  const set = compileRuleSet(7, [
    rule({ id: 'small', expression: 'event.amount > 1000', action: 'challenge', score: 40, message: 'm1' }),
    rule({ id: 'big', expression: 'event.amount > 5000', action: 'review', score: 50, message: 'm2' }),
    rule({ id: 'huge', expression: 'event.amount > 9000', action: 'allow', score: 30, message: 'm3' }),
    rule({ id: 'off', expression: 'true', action: 'deny', score: 100, enabled: false }),
    rule({
      id: 'capped',
      expression: 'event.amount > 5000',
      action: 'allow',
      score: 0,
      restrictions: [{ type: 'no_outgoing_transfers', durationHours: 24, message: 'no transfers' }],
    }),
  ]);
  it('the strongest fired action wins, scores add up to at most 100, disabled rules are ignored', () => {
    const d = decide(riskEvent({ type: 'charge', amount: 10_000 }), signalsOf(), set, AT);
    expect(d.decision).toBe('review');
    expect(d.score).toBe(100);
    expect(d.ruleSetVersion).toBe(7);
    expect(d.reasons.map((r) => r.rule)).toEqual(['small', 'big', 'huge', 'capped']);
    expect(d.restrictions).toEqual([
      {
        type: 'no_outgoing_transfers',
        rule: 'capped',
        until: new Date('2026-11-11T03:00:00Z'),
        message: 'no transfers',
      },
    ]);
    expect(decide(riskEvent({ type: 'charge', amount: 2_000 }), signalsOf(), set, AT)).toMatchObject({
      decision: 'challenge',
      score: 40,
    });
  });
  it('a rule that throws at run time is skipped and reported, the others still decide', () => {
    const s = compileRuleSet(1, [
      rule({ id: 'divides', expression: 'int(event.amount) / 0 > 1' }),
      rule({ id: 'fine', expression: 'event.amount > 10', action: 'challenge' }),
    ]);
    const d = decide(riskEvent({ type: 'charge', amount: 100 }), signalsOf(), s, AT);
    expect(d.decision).toBe('challenge');
    expect(d.errors).toEqual([{ rule: 'divides', message: expect.stringMatching(/division by zero/) }]);
    const missing = decide({ type: 'charge' } as never, signalsOf(), s, AT);
    expect(missing.errors.map((e) => e.rule)).toEqual(['divides', 'fine']);
    expect(missing.decision).toBe('allow');
  });
  it('fills signals.tokyoHour from the decision time', () => {
    const s = compileRuleSet(1, [rule({ expression: 'signals.tokyoHour == 3.0' })]);
    expect(decide(riskEvent({ type: 'login' }), signalsOf(), s, new Date('2026-11-09T18:30:00Z')).decision).toBe(
      'review',
    );
  });
});
