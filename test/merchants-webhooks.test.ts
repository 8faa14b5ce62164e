import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { verifyWebhookSignature } from '../src/outbox/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorSession } from './support/operators.ts';
import { type World, createWorld, customer, newPhone } from './support/world.ts';

const HOLDER = 'ﾔﾏﾀﾞｼﾖｳﾃﾝ';

describe.each(DATABASES)('merchant webhooks through the outbox on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const sent: Array<{ url: string; headers: Record<string, string>; body: string }> = [];

  beforeAll(async () => {
    w = await createWorld(kind, {
      outbox: {
        fetch: async (url, init) => {
          sent.push({ url, headers: init.headers as Record<string, string>, body: String(init.body) });
          return { status: 200 };
        },
      },
    });
    app = await httpApp(w);
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  it('payment_request.paid and payment.refunded reach the URL given at onboarding, signed with the secret shown once', async () => {
    const admin = (await operatorSession(app, w, 'hooks-admin@ops.test', 'admin')).token;
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
    const onboarded = await call(app, 'POST', '/v1/admin/merchants', {
      token: admin,
      body: {
        name: 'Hook Shop',
        legalNameKana: HOLDER,
        payoutAccount: { bankCode: '0001', branchCode: '001', accountNumber },
        webhookUrl: 'https://shop.example/saifu-hooks',
      },
    });
    expect(onboarded.status, onboarded.body).toBe(201);
    const { apiKey, webhookSecret } = onboarded.json as { apiKey: string; webhookSecret: string };
    expect(webhookSecret).toMatch(/^whsec_/);

    const c = await customer(w);
    await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(10_000) });
    const r = await call(app, 'POST', '/v1/payment-requests', {
      token: apiKey,
      body: {
        amount: 2_500,
        reference: 'order-9',
        expiresAt: new Date(w.clock.now().getTime() + 600_000).toISOString(),
      },
    });
    const paid = await call(app, 'POST', '/v1/payments', {
      token: c.token,
      key: 'hook-pay',
      body: { paymentRequestId: r.json.id },
    });
    expect(paid.status, paid.body).toBe(201);
    const refund = await call(app, 'POST', `/v1/payments/${paid.json.id}/refunds`, {
      token: apiKey,
      key: 'hook-refund',
      body: { amount: 1_000 },
    });
    expect(refund.status, refund.body).toBe(201);

    await w.outbox.dispatch();
    const hooks = sent.filter((s) => s.url === 'https://shop.example/saifu-hooks');
    expect(hooks.map((h) => h.headers['Saifu-Event'])).toEqual(['payment_request.paid', 'payment.refunded']);
    for (const h of hooks)
      expect(verifyWebhookSignature(webhookSecret, h.headers['Saifu-Signature'], h.body, w.clock.now())).toBe(true);
    expect(hooks[0]?.body).toContain(r.json.id);
    expect(hooks[0]?.body).toContain(paid.json.id);
    expect(hooks[1]?.body).toContain(refund.json.id);
  });
});
