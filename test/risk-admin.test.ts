import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/index.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { labelEvents } from '../src/risk/index.ts';
import { DEFAULT_POLICY } from '../src/wallet/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorOtp } from './support/operators.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

/**
 * The risk engine's operator API over HTTP: versions drafted, published by a second operator, rolled back; live
 * payments decided by the version in force; back-tests that reproduce the live decisions; shadowed drafts; lists;
 * bad rules refused with their position; every change in the audit log.
 */
describe.each(DATABASES)('risk operator API on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let merchant: { id: string; apiKey: string };
  let payer: Customer;
  const tokens: Record<string, string> = {};
  const ops: Record<string, string> = {};
  let key = 0;
  const R = '/v1/admin/risk';
  const as = (who: string, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) =>
    call(app, method, `${R}${url}`, { token: tokens[who]!, ...(body !== undefined ? { body } : {}) });
  const pay = (c: Customer, amount: number) =>
    call(app, 'POST', '/v1/payments', {
      token: c.token,
      key: `risk-admin-${kind}-${key++}`,
      body: { merchantId: merchant.id, amount },
    });
  const extra = (id: string, action: string, expression: string) => ({
    id,
    name: id,
    enabled: true,
    action,
    score: 80,
    message: `${id} fired`,
    expression,
  });
  let defaultRules: unknown[];

  beforeAll(async () => {
    w = await createWorld(kind, { policy: { ...DEFAULT_POLICY, coolingOffDays: 0 } });
    app = await httpApp(w);
    for (const [name, role] of [
      ['analyst', 'fraud_analyst'],
      ['analyst2', 'fraud_analyst'],
      ['compliance', 'compliance'],
      ['support', 'support'],
      ['admin', 'admin'],
    ] as const) {
      const op = await w.ops.createOperator(`${name}@saifu.test`, role);
      const r = await call(app, 'POST', '/v1/admin/sessions', {
        body: { email: op.email, password: op.password, otp: operatorOtp(w, op) },
      });
      expect(r.status).toBe(201);
      tokens[name] = r.json.token;
      ops[name] = op.id;
    }
    merchant = await w.wallet.payments.createMerchant('Risk Admin Shop');
    payer = await customer(w);
    const charged = await call(app, 'POST', '/v1/charges', {
      token: payer.token,
      key: `risk-admin-${kind}-charge`,
      body: { bankLinkId: payer.link.id, amount: 90_000 },
    });
    expect(charged.json).toMatchObject({ status: 'succeeded', risk: { decision: 'allow', ruleSetVersion: 0 } });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  it('reads version 0 (the default pack) and its YAML; anyone signed in may read, nobody else', async () => {
    const v0 = await as('support', 'GET', '/rule-sets/0');
    expect(v0.status).toBe(200);
    expect(v0.json).toMatchObject({ version: 0, status: 'published', shadow: false });
    expect(v0.json.rules.map((r: { id: string }) => r.id)).toContain('blocklisted');
    defaultRules = v0.json.rules;
    const yaml = await as('support', 'GET', '/rule-sets/0/yaml');
    expect([yaml.status, yaml.headers['content-type']]).toEqual([200, 'text/yaml; charset=utf-8']);
    expect(yaml.body).toMatch(/^rules:\n {2}- id: link_then_drain\n/);
    expect((await call(app, 'GET', `${R}/rule-sets`)).status).toBe(401);
    expect((await call(app, 'GET', `${R}/rule-sets`, { token: payer.token })).json.error.code).toBe('forbidden');
    expect((await as('support', 'GET', '/rule-sets/99')).status).toBe(404);
    expect((await as('support', 'GET', '/rule-sets/x')).status).toBe(400);
  });

  it('draft → self-approval refused → published by another → payments decide on it → rollback restores it', async () => {
    // A rule that throws at run time on every payment (division by zero) rides along: skipped, never fatal.
    const v1rules = [
      ...defaultRules,
      extra('review_4444', 'review', 'event.type == "payment" && event.amount == 4444.0'),
      extra('broken_at_runtime', 'deny', 'event.type == "payment" && int(event.amount) / int(signals.limitRatio) > 1'),
    ];
    const refused = await as('support', 'POST', '/rule-sets', { rules: v1rules, note: 'support may not draft' });
    expect([refused.status, refused.json.error.code]).toEqual([403, 'operator_forbidden']);
    const d1 = await as('analyst', 'POST', '/rule-sets', { rules: v1rules, note: 'review 4444' });
    expect([d1.status, d1.json]).toEqual([201, { version: 1, status: 'draft' }]);
    const self = await as('analyst', 'POST', '/rule-sets/1/publish');
    expect([self.status, self.json.error.code]).toEqual([403, 'self_approval']);
    expect((await as('support', 'POST', '/rule-sets/1/publish')).json.error.code).toBe('operator_forbidden');
    const published = await as('compliance', 'POST', '/rule-sets/1/publish');
    expect([published.status, published.json]).toEqual([200, { version: 1, status: 'published' }]);
    expect((await as('admin', 'POST', '/rule-sets/1/publish')).json.error.code).toBe('invalid_state');

    const held = await pay(payer, 4_444);
    expect([held.status, held.json.status]).toEqual([201, 'in_review']);
    expect(held.json.risk).toMatchObject({ decision: 'review', ruleSetVersion: 1, reasons: [{ rule: 'review_4444' }] });
    const ok = await pay(payer, 1_000);
    expect(ok.json).toMatchObject({ status: 'succeeded', risk: { decision: 'allow', ruleSetVersion: 1 } });

    // Version 2 from YAML (another author), published by the first analyst: 5555 denied, 4444 no longer held.
    const yaml0 = (await as('analyst2', 'GET', '/rule-sets/0/yaml')).body;
    const deny5555 = `  - id: deny_5555
    name: deny 5555
    enabled: true
    action: deny
    score: 90
    message: 5555 is denied
    expression: event.type == "payment" && event.amount == 5555.0
`;
    const d2 = await as('analyst2', 'POST', '/rule-sets', { yaml: yaml0 + deny5555, note: 'deny 5555' });
    expect(d2.json).toEqual({ version: 2, status: 'draft' });
    expect((await as('analyst', 'POST', '/rule-sets/2/publish')).status).toBe(200);
    const denied = await pay(payer, 5_555);
    expect([denied.status, denied.json.error.code]).toEqual([422, 'risk_denied']);
    expect((await pay(payer, 4_444)).json).toMatchObject({ status: 'succeeded', risk: { ruleSetVersion: 2 } });

    const back = await as('compliance', 'POST', '/rule-sets/1/rollback');
    expect([back.status, back.json]).toEqual([200, { version: 1, status: 'published' }]);
    expect((await pay(payer, 4_444)).json).toMatchObject({ status: 'in_review', risk: { ruleSetVersion: 1 } });
    expect((await pay(payer, 5_555)).json).toMatchObject({ status: 'succeeded', risk: { ruleSetVersion: 1 } });
    expect((await as('compliance', 'POST', '/rule-sets/1/rollback')).json.error.code).toBe('invalid_state');

    const list = await as('support', 'GET', '/rule-sets');
    expect(list.json).toMatchObject({ published: 1, shadow: null, has_more: false });
    expect(list.json.data.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [2, 'retired'],
      [1, 'published'],
    ]);
    const one = await as('support', 'GET', '/rule-sets/1');
    expect(one.json).toMatchObject({ version: 1, status: 'published', createdBy: ops.analyst, shadow: false });
    expect(one.json.rules.at(-1)).toMatchObject({ id: 'broken_at_runtime', action: 'deny' });
    expect((await as('support', 'GET', '/rule-sets/0')).json.status).toBe('retired');
  });

  it('back-testing the version in force over real charges and payments reproduces every live decision', async () => {
    // A charge on a link activated just now, near the limit: the pack's link_then_drain holds it for review.
    const fresh = await customer(w, { coolingOff: true });
    const reviewed = await call(app, 'POST', '/v1/charges', {
      token: fresh.token,
      key: `risk-admin-${kind}-fresh`,
      body: { bankLinkId: fresh.link.id, amount: 100_000 },
    });
    expect(reviewed.json).toMatchObject({ status: 'in_review', risk: { decision: 'review', ruleSetVersion: 1 } });
    for (const amount of [2_000, 3_000]) expect((await pay(payer, amount)).status).toBe(201);

    const bt = await as('analyst', 'POST', '/rule-sets/1/backtest', {});
    expect(bt.status).toBe(200);
    expect(bt.json.agreement.compared).toBeGreaterThanOrEqual(7);
    expect(bt.json.agreement).toMatchObject({ rate: 1 });
    expect(bt.json.agreement.agreed).toBe(bt.json.agreement.compared);
    expect(bt.json.truncated).toBe(false);
    expect(bt.json.decisions.review).toBeGreaterThanOrEqual(3);
    // The run-time failure is reported, not fatal.
    expect(bt.json.ruleErrors.broken_at_runtime).toBeGreaterThan(0);
    // Version 2 decided its two payments (the denied 5555 is stored too) the same way; replayed on the rest, it
    // would deny the 5555 paid under version 1 and let its 4444s through.
    const bt2 = await as('analyst', 'POST', '/rule-sets/2/backtest');
    expect(bt2.json.agreement).toMatchObject({ compared: 2, agreed: 2, rate: 1 });
    const changes = bt2.json.examples.map((e: { storedDecision: string; decision: string }) => [
      e.storedDecision,
      e.decision,
    ]);
    expect(changes).toContainEqual(['allow', 'deny']);
    expect(changes).toContainEqual(['review', 'allow']);
    // Every event, replayed on version 0 (the sign-ups and the first charge were decided by it): those agree.
    const bt0 = await as('analyst', 'POST', '/rule-sets/0/backtest', {});
    expect(bt0.json.agreement.compared).toBeGreaterThanOrEqual(2);
    expect(bt0.json.agreement.rate).toBe(1);
    expect(bt0.json.events).toBe(bt.json.events);
    // Bounded in time: nothing before the world's clock started.
    const none = await as('analyst', 'POST', '/rule-sets/1/backtest', { to: '2020-01-01T00:00:00Z' });
    expect(none.json).toMatchObject({
      events: 0,
      agreement: { rate: null },
      range: { to: '2020-01-01T00:00:00.000Z' },
    });
    const bad = await as('analyst', 'POST', '/rule-sets/1/backtest', {
      from: '2030-01-01T00:00:00Z',
      to: '2020-01-01T00:00:00Z',
    });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'invalid_request']);
    expect((await as('analyst', 'POST', '/rule-sets/1/backtest', { from: 'yesterday' })).status).toBe(400);
    expect((await as('compliance', 'POST', '/rule-sets/1/backtest', {})).status).toBe(403);
  });

  it('labels turn a back-test into a confusion matrix with the yen it would have stopped', async () => {
    const fraud = await pay(payer, 4_444);
    const honest = await pay(payer, 1_500);
    await inTransaction(w.db, async (trx) => {
      await labelEvents(trx, { objectId: fraud.json.id }, 'fraud', ops.analyst!, w.clock.now());
      await labelEvents(trx, { objectId: honest.json.id }, 'not_fraud', ops.analyst!, w.clock.now());
    });
    const labelled = await as('support', 'GET', '/events?label=fraud');
    expect(labelled.json.data).toHaveLength(1);
    expect(labelled.json.data[0]).toMatchObject({ objectId: fraud.json.id, label: 'fraud', decision: 'review' });
    const bt = await as('analyst', 'POST', '/rule-sets/1/backtest', {});
    expect(bt.json.confusion).toMatchObject({
      byLabel: {
        fraud: { allow: 0, challenge: 0, review: 1, deny: 0 },
        not_fraud: { allow: 1, challenge: 0, review: 0, deny: 0 },
      },
      truePositives: 1,
      falsePositives: 0,
      falseNegatives: 0,
      trueNegatives: 1,
      precision: 1,
      recall: 1,
    });
    expect(bt.json.yen.fraudStopped).toBe(4_444);
    expect(bt.json.yen.fraudTotal).toBe(4_444);
    // The default pack would let the fraud through.
    const bt0 = await as('analyst', 'POST', '/rule-sets/0/backtest', {});
    expect(bt0.json.confusion).toMatchObject({ truePositives: 0, falseNegatives: 1, recall: 0 });
    expect(bt0.json.yen.fraudStopped).toBe(0);
  });

  it('pages events newest first with filters', async () => {
    const first = await as('support', 'GET', '/events?limit=2&type=payment');
    expect(first.json.data).toHaveLength(2);
    expect(first.json.has_more).toBe(true);
    expect(first.json.data[0].seq).toBeGreaterThan(first.json.data[1].seq);
    expect(first.json.data[0]).toMatchObject({ type: 'payment', userId: payer.actor.id, event: { type: 'payment' } });
    expect(first.json.data[0].signals).toHaveProperty('blocklisted', false);
    const next = await as('support', 'GET', `/events?limit=2&type=payment&starting_after=${first.json.data[1].id}`);
    expect(next.json.data[0].seq).toBeLessThan(first.json.data[1].seq);
    const bySeq = await as('support', 'GET', `/events?limit=2&type=payment&starting_after=${first.json.data[1].seq}`);
    expect(bySeq.json.data).toEqual(next.json.data);
    const reviews = await as('support', 'GET', '/events?decision=review&limit=100');
    expect(reviews.json.data.every((e: { decision: string }) => e.decision === 'review')).toBe(true);
    const charges = await as('support', 'GET', `/events?type=charge&userId=${payer.actor.id}`);
    expect(charges.json.data).toHaveLength(1);
    expect((await as('support', 'GET', '/events?decision=maybe')).status).toBe(400);
  });

  it('a shadowed draft is decided on live traffic and stored, never enforced', async () => {
    const d3 = await as('analyst', 'POST', '/rule-sets', {
      rules: [...defaultRules, extra('deny_777', 'deny', 'event.type == "payment" && event.amount == 777.0')],
      note: 'shadow me',
    });
    expect(d3.json.version).toBe(3);
    expect((await as('analyst2', 'POST', '/rule-sets/1/shadow')).json.error.code).toBe('invalid_state');
    expect((await as('compliance', 'POST', '/rule-sets/3/shadow')).status).toBe(403);
    expect((await as('analyst2', 'POST', '/rule-sets/3/shadow')).json).toEqual({ shadow: 3 });
    expect((await as('support', 'GET', '/rule-sets/3')).json).toMatchObject({ status: 'draft', shadow: true });
    const p = await pay(payer, 777);
    expect(p.json).toMatchObject({ status: 'succeeded', risk: { decision: 'allow', ruleSetVersion: 1 } });
    const stored = await as('support', 'GET', `/events?objectId=${p.json.id}`);
    expect(stored.json.data[0]).toMatchObject({
      decision: 'allow',
      ruleSetVersion: 1,
      shadow: { version: 3, decision: 'deny', reasons: [{ rule: 'deny_777' }] },
    });
    expect((await as('support', 'GET', '/rule-sets')).json.shadow).toBe(3);
    expect((await as('analyst2', 'DELETE', '/rule-sets/shadow')).json).toEqual({ shadow: null });
    const after = await pay(payer, 777);
    expect((await as('support', 'GET', `/events?objectId=${after.json.id}`)).json.data[0].shadow).toBeNull();
  });

  it('refuses bad rules with the rule and position; a rule failing at run time is reported by the tester', async () => {
    const draft = (expression: string) =>
      as('analyst', 'POST', '/rule-sets', { rules: [extra('bad_rule', 'deny', expression)] });
    const syntax = await draft('event.amount >');
    expect([syntax.status, syntax.json.error.code]).toEqual([422, 'rule_invalid']);
    expect(syntax.json.error.details).toEqual({ rule: 'bad_rule', position: 14 });
    const unknown = await draft('signals.nope > 1.0');
    expect(unknown.json.error).toMatchObject({ code: 'rule_invalid', details: { rule: 'bad_rule', position: 8 } });
    expect(unknown.json.error.message).toMatch(/nope/);
    const long = await draft(`event.amount > 1.0${' '.repeat(2_000)}`);
    expect(long.json.error).toMatchObject({ code: 'rule_invalid', details: { rule: 'bad_rule' } });
    expect(long.json.error.message).toMatch(/2000/);
    const types = await draft('event.amount == "x"');
    expect(types.json.error).toMatchObject({ code: 'rule_invalid', details: { rule: 'bad_rule', position: 0 } });
    const badYaml = await as('analyst', 'POST', '/rule-sets', { yaml: 'rules: [' });
    expect([badYaml.status, badYaml.json.error.code]).toEqual([422, 'rule_invalid']);
    const both = await as('analyst', 'POST', '/rule-sets', { yaml: 'rules: []', rules: [] });
    expect([both.status, both.json.error.code]).toEqual([400, 'invalid_request']);
    const action = await as('analyst', 'POST', '/rule-sets', {
      rules: [{ ...extra('x', 'block', 'true'), action: 'block' }],
    });
    expect([action.status, action.json.error.code]).toEqual([400, 'invalid_request']);
    // Nothing was stored by the refusals.
    expect((await as('support', 'GET', '/rule-sets')).json.data[0].version).toBe(3);

    const event = { type: 'payment', amount: 1_000, userId: 'usr_x' };
    const fires = await as('analyst', 'POST', '/rules/test', { rule: 'event.amount > 500.0', event });
    expect(fires.json).toMatchObject({ rule: 'test_rule', fires: true, decision: 'deny', errors: [] });
    const quiet = await as('analyst', 'POST', '/rules/test', {
      rule: extra('night', 'challenge', 'signals.tokyoHour < 5.0'),
      event,
      at: '2026-11-10T03:00:00Z',
    });
    expect(quiet.json).toMatchObject({ rule: 'night', fires: false, decision: 'allow', signals: { tokyoHour: 12 } });
    const withSignals = await as('analyst', 'POST', '/rules/test', {
      rule: 'signals.blocklisted',
      event,
      signals: { blocklisted: true },
    });
    expect(withSignals.json.fires).toBe(true);
    const throws = await as('analyst', 'POST', '/rules/test', {
      rule: 'int(event.amount) / int(signals.limitRatio) > 1',
      event,
    });
    expect([throws.status, throws.json.fires, throws.json.errors]).toEqual([
      200,
      false,
      [{ rule: 'test_rule', message: 'division by zero' }],
    ]);
    const testSyntax = await as('analyst', 'POST', '/rules/test', { rule: 'event.amount >', event });
    expect(testSyntax.json.error).toMatchObject({ code: 'rule_invalid', details: { position: 14 } });
    const field = await as('analyst', 'POST', '/rules/test', { rule: 'true', event: { ...event, colour: 'red' } });
    expect([field.status, field.json.error.code]).toEqual([400, 'invalid_request']);
    const signalType = await as('analyst', 'POST', '/rules/test', { rule: 'true', event, signals: { blocklisted: 1 } });
    expect(signalType.status).toBe(400);
    expect((await as('support', 'POST', '/rules/test', { rule: 'true', event })).status).toBe(403);
    // Real payments are still scored (and the broken rule of version 1 is still skipped).
    expect((await pay(payer, 1_234)).json).toMatchObject({ status: 'succeeded', risk: { ruleSetVersion: 1 } });
  });

  it('a blocklisted user is denied by the pack’s blocklisted rule until the entry is removed', async () => {
    const noReason = await as('analyst', 'POST', '/lists', {
      list: 'block',
      kind: 'user',
      value: payer.actor.id,
      reason: '  ',
    });
    expect([noReason.status, noReason.json.error.code]).toEqual([400, 'reason_required']);
    expect(
      (await as('support', 'POST', '/lists', { list: 'block', kind: 'user', value: 'x', reason: 'r' })).status,
    ).toBe(403);
    expect(
      (await as('analyst', 'POST', '/lists', { list: 'grey', kind: 'user', value: 'x', reason: 'r' })).status,
    ).toBe(400);
    const added = await as('analyst', 'POST', '/lists', {
      list: 'block',
      kind: 'user',
      value: payer.actor.id,
      reason: 'card testing from this wallet',
    });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ list: 'block', kind: 'user', value: payer.actor.id, createdBy: ops.analyst });
    const denied = await pay(payer, 1_000);
    expect([denied.status, denied.json.error.code]).toEqual([422, 'risk_denied']);
    const listed = await as('support', 'GET', '/lists?list=block');
    expect(listed.json).toMatchObject({ data: [{ id: added.json.id }], has_more: false });
    const page = await as('support', 'GET', '/lists?limit=1');
    expect(page.json).toMatchObject({ data: [{ id: added.json.id }], has_more: false });
    const noWhy = await as('analyst', 'DELETE', `/lists/${added.json.id}`, { reason: '' });
    expect(noWhy.json.error.code).toBe('reason_required');
    const removed = await as('analyst', 'DELETE', `/lists/${added.json.id}`, { reason: 'cleared by the bank' });
    expect([removed.status, removed.json.id]).toEqual([200, added.json.id]);
    expect((await as('analyst', 'DELETE', `/lists/${added.json.id}`, { reason: 'again' })).status).toBe(404);
    expect((await pay(payer, 1_000)).json).toMatchObject({ status: 'succeeded', risk: { decision: 'allow' } });
    expect((await as('support', 'GET', '/lists')).json.data).toEqual([]);
  });

  it('every change is in the audit log, with its actor, and the chain holds', async () => {
    const actions: Array<{ action: string; actor: string; target: string }> = [];
    let after: string | undefined;
    for (;;) {
      const r = await call(app, 'GET', `/v1/admin/audit?limit=100${after ? `&starting_after=${after}` : ''}`, {
        token: tokens.compliance!,
      });
      actions.push(...r.json.data);
      if (!r.json.has_more) break;
      after = r.json.data.at(-1).id;
    }
    const seen = (action: string, actor: string, target?: string) =>
      actions.some((a) => a.action === action && a.actor === actor && (target === undefined || a.target === target));
    expect(seen('risk.rule_set.draft', ops.analyst!, 'rule_set:1')).toBe(true);
    expect(seen('risk.rule_set.publish', ops.compliance!, 'rule_set:1')).toBe(true);
    expect(seen('risk.rule_set.draft', ops.analyst2!, 'rule_set:2')).toBe(true);
    expect(seen('risk.rule_set.publish', ops.analyst!, 'rule_set:2')).toBe(true);
    expect(seen('risk.rule_set.rollback', ops.compliance!, 'rule_set:1')).toBe(true);
    expect(seen('risk.rule_set.backtest', ops.analyst!, 'rule_set:1')).toBe(true);
    expect(seen('risk.rule_set.backtest', ops.analyst!, 'rule_set:0')).toBe(true);
    expect(seen('risk.rule_set.shadow', ops.analyst2!, 'rule_set:3')).toBe(true);
    expect(seen('risk.rule_set.shadow_stop', ops.analyst2!)).toBe(true);
    expect(seen('risk.rule.test', ops.analyst!)).toBe(true);
    expect(seen('risk.list.add', ops.analyst!, 'list:block:user')).toBe(true);
    expect(seen('risk.list.remove', ops.analyst!, 'list:block:user')).toBe(true);
    // Refusals changed nothing, so they wrote nothing.
    expect(actions.filter((a) => a.action === 'risk.rule_set.draft')).toHaveLength(3);
    const verified = await call(app, 'GET', '/v1/admin/audit/verify', { token: tokens.compliance! });
    expect(verified.json.ok).toBe(true);
  });
});
