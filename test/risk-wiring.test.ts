import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { type Actor, DEFAULT_POLICY } from '../src/wallet/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp, ledgerSnapshot } from './support/http.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

/**
 * The risk engine in front of charges, transfers and withdrawals (docs/api.md decisions): every object is scored
 * before money moves; challenge → requires_action, review → in_review with the money held and a case opened,
 * deny → 422 risk_denied with nothing stored. The world has no cooling-off, so a fresh link can be charged near
 * the per-charge limit: the pattern the default pack's link-then-drain rules are for.
 */
describe.each(DATABASES)('risk decisions on money objects on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let key = 0;
  const k = () => `risk-${kind}-${key++}`;
  const plain = (c: Customer): Actor => ({ ...c.actor, session: { id: c.actor.session!.id, elevatedUntil: null } });
  const bankBalance = async (c: Customer) =>
    (
      await call(
        app,
        'GET',
        `/sandbox/bank-accounts/${c.bankAccount.bankCode}/${c.bankAccount.branchCode}/${c.bankAccount.accountNumber}`,
      )
    ).json.balance as number;

  beforeAll(async () => {
    w = await createWorld(kind, { policy: { ...DEFAULT_POLICY, coolingOffDays: 0 } });
    app = await httpApp(w);
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  it('ordinary money is allowed and says so, with the rule set version', async () => {
    const c = await customer(w);
    const r = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      headers: { 'x-device-id': 'dev_ordinary' },
      body: { bankLinkId: c.link.id, amount: 5_000 },
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      status: 'succeeded',
      risk: { decision: 'allow', score: 0, reasons: [], ruleSetVersion: 0 },
    });
  });

  it('a drain split into charges on a new link is challenged: requires_action, headroom held, confirmed with a factor', async () => {
    const c = await customer(w, { coolingOff: true });
    for (let i = 0; i < 3; i++)
      expect(
        (await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(30_000) })).status,
      ).toBe('succeeded');
    const ch = await w.wallet.charges.createCharge(plain(c), { bankLinkId: c.link.id, amount: amount(30_000) });
    expect(ch).toMatchObject({
      status: 'requires_action',
      nextAction: { type: 'confirm', confirmUrl: `/v1/charges/${ch.id}/confirm` },
      risk: {
        decision: 'challenge',
        score: 40,
        reasons: [{ rule: 'link_then_drain_velocity' }],
        ruleSetVersion: 0,
      },
    });
    // The waiting charge holds its headroom: it counts against the month, and the bank was not debited for it.
    expect((await w.wallet.history.summary(c.actor)).limits.monthly.used).toBe(120_000);
    expect(await bankBalance(c)).toBe(2_000_000 - 90_000);
    // The stored decision is on GET.
    const got = await call(app, 'GET', `/v1/charges/${ch.id}`, { token: c.token });
    expect(got.json).toMatchObject({ status: 'requires_action', risk: { decision: 'challenge', ruleSetVersion: 0 } });
    const done = await w.wallet.charges.confirmCharge(c.actor, ch.id);
    expect(done).toMatchObject({ status: 'succeeded', risk: { decision: 'challenge' } });
    expect(await bankBalance(c)).toBe(2_000_000 - 120_000);
  });

  it('a charge near the limit right after linking is held for review: in_review, money held, bank not called, a case opened', async () => {
    const c = await customer(w, { coolingOff: true });
    const r = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      body: { bankLinkId: c.link.id, amount: 100_000 },
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      status: 'in_review',
      risk: { decision: 'review', score: 60, reasons: [{ rule: 'link_then_drain' }], ruleSetVersion: 0 },
    });
    expect(r.json.nextAction).toBeUndefined();
    expect(await bankBalance(c)).toBe(2_000_000);
    const s = await w.wallet.history.summary(c.actor);
    expect(s).toMatchObject({ balance: 0, pending: { incoming: 100_000 } });
    const cases = await w.cases.listCases({ kind: 'risk_review', limit: 100 });
    const opened = cases.data.find((x) => (x.details as { objectId?: string }).objectId === r.json.id);
    expect(opened).toMatchObject({
      kind: 'risk_review',
      status: 'open',
      details: { object: 'charge', userId: c.actor.id, amount: 100_000, risk: { decision: 'review' } },
    });
    const got = await call(app, 'GET', `/v1/charges/${r.json.id}`, { token: c.token });
    expect(got.json).toMatchObject({ status: 'in_review', risk: { decision: 'review', score: 60 } });
    // Nobody's periodic job moves it on: it waits for an analyst.
    await w.wallet.settleInFlight(0);
    expect((await call(app, 'GET', `/v1/charges/${r.json.id}`, { token: c.token })).json.status).toBe('in_review');
  });

  describe('under a published rule set with review and deny rules', () => {
    let a: Customer;
    let b: Customer;
    let merchant: { id: string; apiKey: string };
    beforeAll(async () => {
      merchant = await w.wallet.payments.createMerchant('Risk Shop');
      const rules = [
        ['deny_big_round', 'deny', 'event.amount == 77777.0'],
        ['review_transfer', 'review', 'event.type == "transfer" && event.amount == 12345.0'],
        ['review_withdrawal', 'review', 'event.type == "withdrawal" && event.amount == 23456.0'],
        ['challenge_payment', 'challenge', 'event.type == "payment" && event.amount == 3333.0'],
        ['review_payment', 'review', 'event.type == "payment" && event.amount == 4444.0'],
      ].map(([id, action, expression]) => ({
        id: id!,
        name: id!,
        enabled: true,
        action: action as 'deny' | 'review' | 'challenge',
        score: 90,
        message: `${id} fired`,
        expression: expression!,
      }));
      const { version } = await w.risk.createDraft('op_author', { rules }, 'test rules');
      await w.risk.publish(version, 'op_checker');
      a = await customer(w);
      b = await customer(w);
      expect(
        (await w.wallet.charges.createCharge(a.actor, { bankLinkId: a.link.id, amount: amount(90_000) })).status,
      ).toBe('succeeded');
    });

    it('deny: 422 risk_denied for a charge, a transfer, a withdrawal and a payment, and nothing stored or moved', async () => {
      const before = await ledgerSnapshot(w);
      const attempts = [
        ['/v1/charges', { bankLinkId: a.link.id, amount: 77_777 }],
        ['/v1/transfers', { to: { userId: b.actor.id }, amount: 77_777 }],
        ['/v1/withdrawals', { bankLinkId: a.link.id, amount: 77_777 }],
        ['/v1/payments', { merchantId: merchant.id, amount: 77_777 }],
      ] as const;
      for (const [url, body] of attempts) {
        const r = await call(app, 'POST', url, { token: a.token, key: k(), body });
        expect([r.status, r.json.error?.code], `${url} ${JSON.stringify(r.json)}`).toEqual([422, 'risk_denied']);
        expect(r.json.error.details).toMatchObject({ reasons: [{ rule: 'deny_big_round' }] });
      }
      expect(await ledgerSnapshot(w)).toBe(before);
    });

    it('review: a transfer is in_review with its money held as a pending transfer, and a case is opened', async () => {
      const r = await call(app, 'POST', '/v1/transfers', {
        token: a.token,
        key: k(),
        body: { to: { userId: b.actor.id }, amount: 12_345 },
      });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({
        status: 'in_review',
        risk: { decision: 'review', score: 90, reasons: [{ rule: 'review_transfer' }], ruleSetVersion: 1 },
      });
      expect((await w.wallet.history.summary(a.actor)).pending.outgoing).toBe(12_345);
      expect((await w.wallet.history.summary(b.actor)).balance).toBe(0);
      const got = await call(app, 'GET', `/v1/transfers/${r.json.id}`, { token: a.token });
      expect(got.json.risk).toMatchObject({ decision: 'review', ruleSetVersion: 1 });
      const cases = await w.cases.listCases({ kind: 'risk_review', limit: 100 });
      expect(cases.data.some((x) => (x.details as { objectId?: string }).objectId === r.json.id)).toBe(true);
    });

    it('review: a withdrawal is in_review with its money held and the bank not called', async () => {
      const bankBefore = await bankBalance(a);
      const r = await call(app, 'POST', '/v1/withdrawals', {
        token: a.token,
        key: k(),
        body: { bankLinkId: a.link.id, amount: 23_456 },
      });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ status: 'in_review', risk: { decision: 'review', ruleSetVersion: 1 } });
      expect(await bankBalance(a)).toBe(bankBefore);
      expect((await w.wallet.history.summary(a.actor)).pending.outgoing).toBe(12_345 + 23_456);
      const cases = await w.cases.listCases({ kind: 'risk_review', limit: 100 });
      expect(cases.data.some((x) => (x.details as { objectId?: string }).objectId === r.json.id)).toBe(true);
    });

    it('challenge: a payment waits for a factor with its money held, and is posted on confirmation', async () => {
      const p = await w.wallet.payments.createPayment(plain(a), { merchantId: merchant.id, amount: amount(3_333) });
      expect(p).toMatchObject({
        status: 'requires_action',
        nextAction: { confirmUrl: `/v1/payments/${p.id}/confirm` },
        risk: { decision: 'challenge', reasons: [{ rule: 'challenge_payment' }], ruleSetVersion: 1 },
      });
      const held = (await w.wallet.history.summary(a.actor)).pending.outgoing;
      expect(held).toBeGreaterThanOrEqual(3_333);
      const done = await w.wallet.payments.confirmPayment(a.actor, p.id);
      expect(done).toMatchObject({ status: 'succeeded', risk: { decision: 'challenge' } });
      expect((await w.wallet.history.summary(a.actor)).pending.outgoing).toBe(held - 3_333);
      // A session already holding a fresh factor has given it: the payment goes through at once.
      const direct = await w.wallet.payments.createPayment(a.actor, { merchantId: merchant.id, amount: amount(3_333) });
      expect(direct).toMatchObject({ status: 'succeeded', risk: { decision: 'challenge' } });
    });

    it('review: a payment is in_review with its money held, a case opened, and cannot be refunded meanwhile', async () => {
      const r = await call(app, 'POST', '/v1/payments', {
        token: a.token,
        key: k(),
        body: { merchantId: merchant.id, amount: 4_444 },
      });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ status: 'in_review', risk: { decision: 'review', ruleSetVersion: 1 } });
      const got = await call(app, 'GET', `/v1/payments/${r.json.id}`, { token: a.token });
      expect(got.json).toMatchObject({ status: 'in_review', risk: { decision: 'review', score: 90 } });
      const cases = await w.cases.listCases({ kind: 'risk_review', limit: 100 });
      expect(cases.data.some((x) => (x.details as { objectId?: string }).objectId === r.json.id)).toBe(true);
      await expect(w.wallet.payments.refund(merchant.id, r.json.id, amount(1_000))).rejects.toMatchObject({
        code: 'invalid_state',
      });
    });
  });
});
