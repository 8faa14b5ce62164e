import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, freshDatabase } from '../../test/support/databases.ts';
import type { Database } from '../db/index.ts';
import { backtest, backtestStored, createBacktest } from './backtest.ts';
import { decide } from './decide.ts';
import { defaultRuleSet } from './engine.ts';
import { type Rule, compileRuleSet } from './rules.ts';
import type { StoredEvent } from './store.ts';
import { type RiskEvent, type Signals, riskEvent, signalsOf } from './vocabulary.ts';

const rule = (id: string, action: Rule['action'], expression: string, score = 50): Rule => ({
  id,
  name: id,
  enabled: true,
  action,
  score,
  message: `${id} fired`,
  expression,
});

let seq = 0;
/** An event as the live path stores it: decided by `set` on its signals at its time. */
function stored(
  set: ReturnType<typeof compileRuleSet>,
  e: Partial<RiskEvent> & Pick<RiskEvent, 'type'>,
  s: Partial<Signals> = {},
  o: { at?: Date; label?: StoredEvent['label'] } = {},
): StoredEvent {
  const event = riskEvent({ userId: 'u_1', ...e });
  const at = o.at ?? new Date('2026-11-10T03:00:00Z');
  const signals = signalsOf(s);
  const d = decide(event, signals, set, at);
  seq++;
  return {
    id: `rev_${seq}`,
    seq,
    type: event.type,
    userId: event.userId,
    objectId: `obj_${seq}`,
    amount: event.amount,
    at,
    event,
    signals: { ...signals, tokyoHour: 0 },
    decision: d.decision,
    score: d.score,
    reasons: d.reasons,
    ruleSetVersion: set.version,
    enforced: true,
    shadow: null,
    label: o.label ?? null,
  };
}

describe('backtest', () => {
  const live = compileRuleSet(3, [rule('big_review', 'review', 'event.amount >= 50000.0', 60)]);
  const strict = compileRuleSet(4, [
    rule('big_deny', 'deny', 'event.amount >= 50000.0', 90),
    rule('mid_challenge', 'challenge', 'event.amount >= 10000.0 && event.amount < 50000.0', 30),
  ]);

  it('reproduces the stored decisions of its own version exactly (point in time)', () => {
    const events = [
      stored(live, { type: 'charge', amount: 60_000 }),
      stored(live, { type: 'charge', amount: 5_000 }),
      stored(live, { type: 'payment', amount: 80_000, userId: 'u_2' }),
    ];
    const r = backtest(events, live);
    expect(r).toMatchObject({
      version: 3,
      events: 3,
      decisions: { allow: 1, challenge: 0, review: 2, deny: 0 },
      agreement: { compared: 3, agreed: 3, rate: 1 },
      changed: 0,
      examples: [],
    });
  });

  it('replays at the stored time, not now: tokyoHour comes from the event time', () => {
    const night = compileRuleSet(5, [
      rule('night', 'challenge', 'signals.tokyoHour >= 1.0 && signals.tokyoHour < 5.0'),
    ]);
    // 18:00 UTC = 03:00 in Tokyo.
    const e = stored(night, { type: 'charge', amount: 1_000 }, {}, { at: new Date('2026-11-10T18:00:00Z') });
    expect(e.decision).toBe('challenge');
    expect(backtest([e], night).agreement).toEqual({ compared: 1, agreed: 1, rate: 1 });
  });

  it('uses the signals as stored: a list entry added since does not change the replay', () => {
    const set = defaultRuleSet();
    const e = stored(set, { type: 'payment', amount: 1_000 }, { blocklisted: false });
    expect(backtest([e], set).decisions.allow).toBe(1);
    const blocked = stored(set, { type: 'payment', amount: 1_000 }, { blocklisted: true });
    expect(backtest([blocked], set).decisions.deny).toBe(1);
  });

  it('counts a confusion matrix against labels, challenge apart, unlabelled never as honest', () => {
    const events = [
      stored(live, { type: 'charge', amount: 60_000, userId: 'u_f1' }, {}, { label: 'fraud' }), // TP (deny)
      stored(live, { type: 'charge', amount: 20_000, userId: 'u_f2' }, {}, { label: 'fraud' }), // FN (challenge)
      stored(live, { type: 'charge', amount: 2_000, userId: 'u_f3' }, {}, { label: 'fraud' }), // FN (allow)
      stored(live, { type: 'charge', amount: 70_000, userId: 'u_h1' }, {}, { label: 'not_fraud' }), // FP
      stored(live, { type: 'charge', amount: 30_000, userId: 'u_h2' }, {}, { label: 'not_fraud' }), // TN (challenge)
      stored(live, { type: 'charge', amount: 30_000, userId: 'u_h2' }, {}, { label: 'not_fraud' }), // same user
      stored(live, { type: 'charge', amount: 1_000, userId: 'u_h3' }, {}, { label: 'not_fraud' }), // TN
      stored(live, { type: 'charge', amount: 90_000, userId: 'u_x1' }), // unlabelled, stopped
      stored(live, { type: 'charge', amount: 500, userId: 'u_x2' }), // unlabelled, allowed
    ];
    const r = backtest(events, strict);
    expect(r.decisions).toEqual({ allow: 3, challenge: 3, review: 0, deny: 3 });
    expect(r.confusion).toEqual({
      byLabel: {
        fraud: { allow: 1, challenge: 1, review: 0, deny: 1 },
        not_fraud: { allow: 1, challenge: 2, review: 0, deny: 1 },
        unlabelled: { allow: 1, challenge: 0, review: 0, deny: 1 },
      },
      truePositives: 1,
      falsePositives: 1,
      falseNegatives: 2,
      trueNegatives: 3,
      precision: 0.5,
      recall: 1 / 3,
    });
    expect(r.yen).toEqual({ fraudStopped: 60_000, fraudTotal: 82_000, stopped: 220_000 });
    // u_h1 (denied), u_h2 (challenged twice), u_x1 (unlabelled, denied); never the fraudsters.
    expect(r.honestUsersAffected).toBe(3);
    // Stored by version 3, replayed on 4: nothing to compare, but the changes are listed.
    expect(r.agreement).toEqual({ compared: 0, agreed: 0, rate: null });
    expect(r.changed).toBe(6);
    expect(r.examples[0]).toEqual({
      eventId: events[0]!.id,
      type: 'charge',
      userId: 'u_f1',
      storedDecision: 'review',
      storedVersion: 3,
      decision: 'deny',
      rules: ['big_deny'],
    });
  });

  it('keeps at most ten examples, reports run-time rule errors, and accumulates over batches', () => {
    const events = Array.from({ length: 25 }, (_, i) => stored(live, { type: 'charge', amount: 60_000 + i }));
    const broken = compileRuleSet(6, [
      ...strict.rules,
      rule('div_zero', 'deny', 'int(event.amount) / int(signals.limitRatio) > 1'),
    ]);
    const whole = backtest(events, broken);
    expect(whole.examples).toHaveLength(10);
    expect(whole.changed).toBe(25);
    expect(whole.ruleErrors).toEqual({ div_zero: 25 });
    const b = createBacktest(broken);
    b.add(events.slice(0, 7));
    b.add(events.slice(7));
    expect(b.report()).toEqual(whole);
  });

  it('an empty replay is all zeros with null rates', () => {
    const r = backtest([], live);
    expect(r).toMatchObject({ events: 0, confusion: { precision: null, recall: null }, agreement: { rate: null } });
  });
});

for (const kind of DATABASES)
  describe(`backtestStored over the event store (${kind})`, () => {
    let d: Database;
    const live = compileRuleSet(1, [rule('big_review', 'review', 'event.amount >= 50000.0', 60)]);
    const audits: Array<{ actor: string; action: string; target: string; details?: Record<string, unknown> }> = [];
    const deps = () => ({
      db: d.db,
      engine: { version: async (n: number) => (n === 1 ? live : compileRuleSet(n, [])) },
      audit: async (_trx: unknown, e: (typeof audits)[number]) => audits.push(e),
    });
    const t0 = new Date('2026-11-10T00:00:00Z').getTime();
    beforeAll(async () => {
      d = await freshDatabase(kind);
      // 23 events an hour apart, one in three large (reviewed live by version 1).
      for (let i = 0; i < 23; i++) {
        const e = stored(
          live,
          { type: 'charge', amount: i % 3 === 0 ? 60_000 : 1_000, userId: `u_${i % 5}` },
          {},
          { at: new Date(t0 + i * 3_600_000) },
        );
        await d.db
          .insertInto('risk_events')
          .values({
            id: `rev_store_${i}`,
            type: e.type,
            user_id: e.userId,
            object_id: e.objectId,
            amount: e.amount,
            occurred_at: e.at,
            event: JSON.stringify(e.event),
            signals: JSON.stringify(e.signals),
            decision: e.decision,
            score: e.score,
            reasons: JSON.stringify(e.reasons),
            rule_set_version: e.ruleSetVersion,
          })
          .execute();
      }
    });
    afterAll(() => d.close());

    it('pages through every event in batches, agrees with the live decisions, and is audited', async () => {
      const r = await backtestStored(deps(), 'op_a', 1, {}, { batch: 5 });
      expect(r).toMatchObject({
        events: 23,
        truncated: false,
        decisions: { allow: 15, review: 8 },
        agreement: { compared: 23, agreed: 23, rate: 1 },
        range: { from: null, to: null },
      });
      expect(await backtestStored(deps(), 'op_a', 1, {}, { batch: 23 })).toEqual(r);
      expect(audits.at(-1)).toMatchObject({
        actor: 'op_a',
        action: 'risk.rule_set.backtest',
        target: 'rule_set:1',
        details: { events: 23, truncated: false },
      });
    });

    it('stops at the bound and says so; from/to select by event time', async () => {
      expect(await backtestStored(deps(), 'op_a', 1, {}, { batch: 4, maxEvents: 10 })).toMatchObject({
        events: 10,
        truncated: true,
      });
      expect(await backtestStored(deps(), 'op_a', 1, {}, { batch: 4, maxEvents: 23 })).toMatchObject({
        events: 23,
        truncated: false,
      });
      const window = await backtestStored(
        deps(),
        'op_a',
        2,
        { from: new Date(t0 + 3 * 3_600_000), to: new Date(t0 + 9 * 3_600_000) },
        { batch: 4 },
      );
      // Hours 3–8; version 2 (no rules) allows all six, changing the two reviewed ones (hours 3 and 6).
      expect(window).toMatchObject({ events: 6, decisions: { allow: 6 }, changed: 2, agreement: { compared: 0 } });
      await expect(
        backtestStored(deps(), 'op_a', 1, { from: new Date(t0 + 1), to: new Date(t0) }),
      ).rejects.toMatchObject({ code: 'invalid_request' });
    });
  });
