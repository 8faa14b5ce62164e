import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetryable } from '../src/db/index.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { type MerchantWebhooks, createMerchants } from '../src/merchants/index.ts';
import { amount } from '../src/money/index.ts';
import { AppError } from '../src/platform/index.ts';
import { DATABASES, HAS_POSTGRES } from './support/databases.ts';
import { type World, createWorld, customer, newPhone } from './support/world.ts';

const HOLDER = 'ﾔﾏﾀﾞｼﾖｳﾃﾝ';

async function payoutAccount(w: World) {
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
  return { bankCode: '0001', branchCode: '001', accountType: 'ordinary' as const, accountNumber };
}

/** Locking bugs only show on PostgreSQL (PGlite runs one transaction at a time). */
describe.skipIf(!HAS_POSTGRES)('a payment request paid from 20 wallets at once on PostgreSQL', () => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld('postgres', { poolSize: 30 });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await w.close();
  });

  it('exactly one payment; the other 19 get payment_request_paid and move nothing', async () => {
    const { merchant } = await w.merchants.onboard('op_test', {
      name: 'Busy Stall',
      legalNameKana: HOLDER,
      payoutAccount: await payoutAccount(w),
    });
    const payers = [];
    for (let i = 0; i < 20; i++) {
      const c = await customer(w);
      await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(10_000) });
      payers.push(c);
    }
    const r = await w.merchants.requests.create(merchant.id, {
      amount: amount(3_000),
      reference: 'table-7',
      expiresAt: new Date(w.clock.now().getTime() + 600_000),
    });
    const results = await Promise.allSettled(payers.map((c) => w.merchants.requests.pay(c.actor, r.id)));
    const ok = results.filter((x) => x.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    const codes = results.flatMap((x) => {
      if (x.status === 'fulfilled') return [];
      expect(isRetryable(x.reason), String(x.reason)).toBe(false);
      expect(x.reason, String(x.reason)).toBeInstanceOf(AppError);
      return [(x.reason as AppError).code];
    });
    expect(codes).toEqual(Array(19).fill('payment_request_paid'));
    const payments = await w.db.selectFrom('payments').selectAll().where('merchant_id', '=', merchant.id).execute();
    expect(payments).toHaveLength(1);
    const balances = await Promise.all(payers.map(async (c) => (await w.wallet.history.summary(c.actor)).balance));
    expect(balances.filter((b) => b === 7_000)).toHaveLength(1);
    expect(balances.filter((b) => b === 10_000)).toHaveLength(19);
    expect(await w.merchants.requests.get(r.id)).toMatchObject({ status: 'paid', paymentId: payments[0]?.id });
  });
});

describe.each(DATABASES)('merchant webhooks through the port on %s', (kind) => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld(kind);
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await w.close();
  });

  function merchantsWith(webhooks: MerchantWebhooks) {
    return createMerchants({
      db: w.db,
      clock: w.clock,
      newId: w.newId,
      ledger: w.ledger,
      payments: w.wallet.payments,
      payoutHolder: async (a) => (await w.sandbox.bank.findAccount(a))?.holder_name_kana,
      audit: async () => undefined,
      webhooks,
    });
  }

  it('payment_request.paid and payment.refunded are written in the payment’s and the refund’s transaction', async () => {
    const events: Array<{ owner: string; type: string; data: Record<string, unknown> }> = [];
    let failNext = false;
    const m = merchantsWith({
      register: async () => undefined,
      emit: async (trx, e) => {
        await trx.selectFrom('payment_requests').select('id').execute(); // runs in the caller's transaction
        if (failNext) throw new Error('outbox down');
        events.push(e);
      },
    });
    const { merchant } = await m.onboard('op_test', {
      name: 'Hook Shop',
      legalNameKana: HOLDER,
      payoutAccount: await payoutAccount(w),
      webhookUrl: 'https://hooks.example/saifu',
    });
    const c = await customer(w);
    await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(10_000) });
    const expiresAt = new Date(w.clock.now().getTime() + 600_000);
    const r = await m.requests.create(merchant.id, { amount: amount(2_000), reference: 'a', expiresAt });

    // A webhook that cannot be written fails the payment: no money moves, the request stays open.
    failNext = true;
    await expect(m.requests.pay(c.actor, r.id)).rejects.toThrow('outbox down');
    expect((await w.wallet.history.summary(c.actor)).balance).toBe(10_000);
    expect((await m.requests.get(r.id)).status).toBe('open');

    failNext = false;
    const p = await m.requests.pay(c.actor, r.id);
    expect(events).toEqual([
      {
        owner: merchant.id,
        type: 'payment_request.paid',
        data: expect.objectContaining({ paymentRequestId: r.id, paymentId: p.id, amount: 2_000, reference: 'a' }),
        idempotencyKey: `payment_request.paid:${r.id}`,
      },
    ]);
    const refund = await m.refund(merchant.id, p.id, amount(500));
    expect(events[1]).toMatchObject({
      type: 'payment.refunded',
      data: { refundId: refund.id, paymentId: p.id, amount: 500 },
    });
    expect((await w.wallet.history.summary(c.actor)).balance).toBe(8_500);
  });
});
