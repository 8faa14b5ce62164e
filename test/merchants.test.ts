import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp, ledgerSnapshot } from './support/http.ts';
import { operatorSession } from './support/operators.ts';
import { type Customer, type World, createWorld, customer, newPhone } from './support/world.ts';

const HOUR = 3600 * 1000;
const HOLDER = 'ﾔﾏﾀﾞｼﾖｳﾃﾝ';

describe.each(DATABASES)('merchants in production on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let admin: string;
  let support: string;
  let payout: { bankCode: string; branchCode: string; accountType: 'ordinary'; accountNumber: string };
  let payer: Customer;
  let other: Customer;

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w);
    admin = (await operatorSession(app, w, 'merchant-admin@ops.test', 'admin')).token;
    w.clock.advance(30_000);
    support = (await operatorSession(app, w, 'merchant-support@ops.test', 'support')).token;
    const { accountNumber } = await w.sandbox.bank.openAccount({
      bankCode: '0001',
      branchCode: '001',
      accountType: 'ordinary',
      holderNameKana: HOLDER,
      birthDate: '1970-01-01',
      pin: '1234',
      phone: newPhone(),
      balance: amount(1),
    });
    payout = { bankCode: '0001', branchCode: '001', accountType: 'ordinary', accountNumber };
    payer = await customer(w);
    other = await customer(w);
    for (const c of [payer, other])
      await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(50_000) });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  async function onboard(name = 'Yamada Shoten') {
    const r = await call(app, 'POST', '/v1/admin/merchants', {
      token: admin,
      body: { name, legalNameKana: HOLDER, payoutAccount: payout, webhookUrl: 'https://shop.example/hooks' },
    });
    expect(r.status, r.body).toBe(201);
    return { id: r.json.merchant.id as string, key: r.json.apiKey as string };
  }
  const inMinutes = (m: number) => new Date(w.clock.now().getTime() + m * 60_000).toISOString();
  async function request(key: string, amt = 1_200, reference = `order-${Math.random()}`, expiresAt = inMinutes(15)) {
    return call(app, 'POST', '/v1/payment-requests', { token: key, body: { amount: amt, reference, expiresAt } });
  }
  const pay = (c: Customer, paymentRequestId: string, key = `k-${Math.random()}`) =>
    call(app, 'POST', '/v1/payments', { token: c.token, key, body: { paymentRequestId } });

  it('onboarding checks the payout holder name: a match is created and audited, a mismatch or unknown account creates nothing', async () => {
    const m = await onboard();
    const got = await call(app, 'GET', `/v1/admin/merchants/${m.id}`, { token: support });
    expect(got.json).toMatchObject({
      status: 'active',
      legalNameKana: HOLDER,
      payoutAccount: { bankCode: '0001', accountNumberLast4: payout.accountNumber.slice(-4), nameMatchScore: 100 },
      webhookUrl: 'https://shop.example/hooks',
    });
    const audit = await w.db.selectFrom('audit_log').select(['action', 'target']).where('target', '=', m.id).execute();
    expect(audit).toEqual([{ action: 'merchant.onboarded', target: m.id }]);

    const before = await w.db
      .selectFrom('merchants')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    const mismatch = await call(app, 'POST', '/v1/admin/merchants', {
      token: admin,
      body: { name: 'Fake', legalNameKana: 'ｽｽﾞｷｼﾖｳｼﾞ', payoutAccount: payout },
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.error.code).toBe('payout_name_mismatch');
    expect(mismatch.json.error.details.score).toBeLessThan(85);
    const unknown = await call(app, 'POST', '/v1/admin/merchants', {
      token: admin,
      body: { name: 'Ghost', legalNameKana: HOLDER, payoutAccount: { ...payout, accountNumber: '0000000' } },
    });
    expect(unknown.json.error.code).toBe('payout_account_not_found');
    const after = await w.db
      .selectFrom('merchants')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    expect(Number(after?.n)).toBe(Number(before?.n));
    // Support reads but does not onboard, rotate or suspend.
    const denied = await call(app, 'POST', '/v1/admin/merchants', {
      token: support,
      body: { name: 'X', legalNameKana: HOLDER, payoutAccount: payout },
    });
    expect(denied.json.error.code).toBe('operator_forbidden');
    expect((await call(app, 'GET', '/v1/admin/merchants', { token: support })).status).toBe(200);
  });

  it('a payment request is paid by id once: a QR payload, one payment, a second payer refused with nothing moved', async () => {
    const m = await onboard();
    const r = await request(m.key, 1_200, 'order-1');
    expect(r.status, r.body).toBe(201);
    expect(r.json).toMatchObject({ object: 'payment_request', status: 'open', amount: 1_200, reference: 'order-1' });
    expect(r.json.id).toMatch(/^prq_/);
    expect(r.json.qr).toBe(`saifu://pay?r=${r.json.id}&a=1200&m=${m.id}`);
    // The wallet reads it before paying.
    expect((await call(app, 'GET', `/v1/payment-requests/${r.json.id}`, { token: payer.token })).json.amount).toBe(
      1_200,
    );

    const paid = await pay(payer, r.json.id, 'same-key');
    expect(paid.status, paid.body).toBe(201);
    expect(paid.json).toMatchObject({ status: 'succeeded', amount: 1_200, merchantId: m.id, reference: 'order-1' });
    const replay = await pay(payer, r.json.id, 'same-key');
    expect(replay.status).toBe(201);
    expect(replay.body).toBe(paid.body);
    const seen = await call(app, 'GET', `/v1/payment-requests/${r.json.id}`, { token: m.key });
    expect(seen.json).toMatchObject({ status: 'paid', paymentId: paid.json.id });

    const before = await ledgerSnapshot(w);
    const second = await pay(other, r.json.id);
    expect(second.status).toBe(409);
    expect(second.json.error).toMatchObject({ code: 'payment_request_paid', details: { paymentId: paid.json.id } });
    expect(await ledgerSnapshot(w)).toBe(before);
  });

  it('bad requests and payments get clear errors and change nothing', async () => {
    const m = await onboard();
    expect((await request(m.key, 0)).json.error.code).toBe('invalid_amount');
    expect((await request(m.key, 100, 'past', inMinutes(-1))).json.error.code).toBe('invalid_request');
    expect((await request(m.key, 100, 'far', inMinutes(31 * 24 * 60))).json.error.code).toBe('invalid_request');
    await request(m.key, 100, 'dup');
    const dup = await request(m.key, 100, 'dup');
    expect(dup.status).toBe(409);
    expect(dup.json.error.details.id).toMatch(/^prq_/);

    const soon = await request(m.key, 500, 'soon', inMinutes(5));
    const cancelled = await request(m.key, 500, 'cancel-me');
    expect(
      (await call(app, 'POST', `/v1/payment-requests/${cancelled.json.id}/cancel`, { token: m.key })).json.status,
    ).toBe('cancelled');
    w.clock.advance(6 * 60_000);
    expect((await call(app, 'GET', `/v1/payment-requests/${soon.json.id}`, { token: m.key })).json.status).toBe(
      'expired',
    );
    const stranger = await onboard('Other');
    const before = await ledgerSnapshot(w);
    const expired = await pay(payer, soon.json.id);
    expect(expired.status).toBe(409);
    expect(expired.json.error.code).toBe('payment_request_expired');
    expect((await pay(payer, cancelled.json.id)).json.error.code).toBe('payment_request_cancelled');
    expect((await pay(payer, 'prq_nothing')).status).toBe(404);
    // Another merchant's key does not see the request.
    expect((await call(app, 'GET', `/v1/payment-requests/${soon.json.id}`, { token: stranger.key })).status).toBe(404);
    expect(await ledgerSnapshot(w)).toBe(before);
  });

  it('a suspended merchant can neither create requests nor receive payments, until reinstated', async () => {
    const m = await onboard();
    const open = await request(m.key, 300);
    const s = await call(app, 'POST', `/v1/admin/merchants/${m.id}/suspend`, {
      token: admin,
      body: { reason: 'chargebacks' },
    });
    expect(s.json.status).toBe('suspended');
    const again = await call(app, 'POST', `/v1/admin/merchants/${m.id}/suspend`, {
      token: admin,
      body: { reason: 'x' },
    });
    expect(again.status).toBe(409);
    expect((await request(m.key)).json.error.code).toBe('merchant_suspended');
    const before = await ledgerSnapshot(w);
    const refused = await pay(payer, open.json.id);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('merchant_suspended');
    const direct = await call(app, 'POST', '/v1/payments', {
      token: payer.token,
      key: 'direct-suspended',
      body: { merchantId: m.id, amount: 100 },
    });
    expect(direct.json.error.code).toBe('merchant_suspended');
    expect(await ledgerSnapshot(w)).toBe(before);
    await call(app, 'POST', `/v1/admin/merchants/${m.id}/reinstate`, { token: admin, body: { reason: 'resolved' } });
    expect((await pay(payer, open.json.id)).status).toBe(201);
  });

  it('a rotated key: the old one works during the grace period, then 401; the new one is shown once', async () => {
    const m = await onboard();
    const rotated = await call(app, 'POST', `/v1/admin/merchants/${m.id}/keys`, {
      token: admin,
      body: { reason: 'key leaked in a log' },
    });
    expect(rotated.status, rotated.body).toBe(201);
    const fresh = rotated.json.apiKey as string;
    expect(fresh).not.toBe(m.key);
    expect(rotated.json.previousKeyExpiresAt).toBe(new Date(w.clock.now().getTime() + 24 * HOUR).toISOString());
    const stored = await w.db.selectFrom('merchants').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(fresh);
    expect((await request(m.key)).status).toBe(201);
    expect((await request(fresh)).status).toBe(201);
    w.clock.advance(24 * HOUR + 1000);
    const old = await request(m.key);
    expect(old.status).toBe(401);
    expect((await request(fresh)).status).toBe(201);
    const audit = await w.db.selectFrom('audit_log').select('action').where('target', '=', m.id).execute();
    expect(audit.map((a) => a.action)).toContain('merchant.key_rotated');
  });
});
