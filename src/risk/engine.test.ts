import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, freshDatabase } from '../../test/support/databases.ts';
import type { Database } from '../db/index.ts';
import { ManualClock } from '../platform/index.ts';
import { memoryCounters } from './counters.ts';
import { ruleSetFromYaml } from './documents.ts';
import { DEFAULT_RULES_YAML, createRiskEngine } from './engine.ts';
import { riskEvent, signalsOf } from './vocabulary.ts';

const denyBig = (limit: number) => `rules:
  - id: big
    name: Big
    enabled: true
    action: deny
    score: 90
    message: too big
    expression: event.amount >= ${limit}
`;
const charge = (amount: number) => riskEvent({ type: 'charge', amount });

for (const kind of DATABASES) {
  describe(`risk engine rule sets (${kind})`, () => {
    let d: Database;
    const audits: Array<{ actor: string; action: string; target: string }> = [];
    const clock = new ManualClock();
    const make = () =>
      createRiskEngine({
        db: d.db,
        clock,
        counters: memoryCounters(),
        newId: (p) => `${p}_${Math.random().toString(36).slice(2)}`,
        audit: async (_trx, e) => audits.push(e),
      });
    beforeAll(async () => {
      d = await freshDatabase(kind);
    });
    afterAll(() => d.close());

    it('runs the default pack as version 0 until something is published', async () => {
      const engine = make();
      expect(await engine.refresh()).toBe(0);
      expect(engine.decide(charge(90_000), signalsOf({ linkAgeHours: 1, limitRatio: 1 }))).toMatchObject({
        decision: 'review',
        ruleSetVersion: 0,
      });
    });

    it('drafts, refuses self-approval, publishes with a second operator, hot-swaps, rolls back', async () => {
      const engine = make();
      const other = make();
      await expect(engine.createDraft('op_a', 'rules:\n  - id: x\n')).rejects.toMatchObject({ code: 'rule_invalid' });
      const v1 = (await engine.createDraft('op_a', denyBig(50_000), 'first')).version;
      const v2 = (await engine.importYaml('op_b', denyBig(10_000))).version;
      expect([v1, v2]).toEqual([1, 2]);
      await expect(engine.publish(v1, 'op_a')).rejects.toMatchObject({ code: 'self_approval' });
      await engine.publish(v1, 'op_b');
      expect(engine.decide(charge(60_000), signalsOf())).toMatchObject({ decision: 'deny', ruleSetVersion: 1 });
      expect(other.decide(charge(60_000), signalsOf()).ruleSetVersion).toBe(0);
      expect(await other.refresh()).toBe(1);
      expect(other.decide(charge(60_000), signalsOf()).decision).toBe('deny');

      await engine.publish(v2, 'op_a');
      expect(engine.decide(charge(20_000), signalsOf())).toMatchObject({ decision: 'deny', ruleSetVersion: 2 });
      await expect(engine.publish(v1, 'op_c')).rejects.toMatchObject({ code: 'invalid_state' });
      await engine.rollback(v1, 'op_c');
      expect(engine.decide(charge(20_000), signalsOf())).toMatchObject({ decision: 'allow', ruleSetVersion: 1 });
      await expect(engine.rollback(v1, 'op_c')).rejects.toMatchObject({ code: 'invalid_state' });
      await expect(engine.publish(99, 'op_c')).rejects.toMatchObject({ code: 'not_found' });

      const list = await engine.list();
      expect(list.map((r) => [r.version, r.status, r.created_by, r.approved_by])).toEqual([
        [2, 'retired', 'op_b', 'op_a'],
        [1, 'published', 'op_a', 'op_b'],
      ]);
      expect(audits.map((a) => `${a.action} ${a.target} ${a.actor}`)).toEqual([
        'risk.rule_set.draft rule_set:1 op_a',
        'risk.rule_set.draft rule_set:2 op_b',
        'risk.rule_set.publish rule_set:1 op_b',
        'risk.rule_set.publish rule_set:2 op_a',
        'risk.rule_set.rollback rule_set:1 op_c',
      ]);
    });

    it('exports and imports YAML round trip, the default pack included', async () => {
      const engine = make();
      const yaml = await engine.exportYaml(0);
      expect(ruleSetFromYaml(yaml)).toEqual(ruleSetFromYaml(DEFAULT_RULES_YAML));
      const { version } = await engine.importYaml('op_a', yaml);
      expect(await engine.exportYaml(version)).toBe(yaml);
    });

    it('the database refuses a self-approved or second published version', async () => {
      await expect(
        d.db
          .insertInto('risk_rule_sets')
          .values({
            version: 50,
            status: 'published',
            yaml: '',
            created_by: 'a',
            approved_by: 'a',
            created_at: clock.now(),
            published_at: clock.now(),
          })
          .execute(),
      ).rejects.toThrow();
      await expect(
        d.db
          .insertInto('risk_rule_sets')
          .values({
            version: 51,
            status: 'published',
            yaml: '',
            created_by: 'a',
            approved_by: 'b',
            created_at: clock.now(),
            published_at: clock.now(),
          })
          .execute(),
      ).rejects.toThrow();
    });
  });
}
