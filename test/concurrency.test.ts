import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { isRetryable } from '../src/db/index.ts';
import { amount } from '../src/money/index.ts';
import { AppError } from '../src/platform/index.ts';
import { HAS_POSTGRES } from './support/databases.ts';
import { type World, createWorld, customer } from './support/world.ts';

const snake = (a: { bankCode: string; branchCode: string; accountNumber: string }) => ({
  bank_code: a.bankCode,
  branch_code: a.branchCode,
  account_number: a.accountNumber,
});

/** Locking bugs only show on PostgreSQL (PGlite runs one transaction at a time). */
describe.skipIf(!HAS_POSTGRES)('concurrency on PostgreSQL', () => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld('postgres', { poolSize: 30 });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await w.close();
  });

  /** Every rejection must be a domain answer, never a deadlock or serialization failure. */
  function codesOf(results: PromiseSettledResult<unknown>[]): string[] {
    return results.flatMap((r) => {
      if (r.status === 'fulfilled') return [];
      expect(isRetryable(r.reason), String(r.reason)).toBe(false);
      expect(r.reason, String(r.reason)).toBeInstanceOf(AppError);
      return [(r.reason as AppError).code];
    });
  }

  it('10 parallel ¥100,000 charges in a fresh month: exactly 3 succeed', async () => {
    const c = await customer(w);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(100_000) }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'succeeded');
    expect(ok).toHaveLength(3);
    expect(codesOf(results)).toEqual(Array(7).fill('limit_exceeded'));
    expect((await w.wallet.history.summary(c.actor)).balance).toBe(300_000);
    expect((await w.sandbox.bank.findAccount(c.bankAccount))!.balance).toBe(2_000_000 - 300_000);
  });

  it('50 concurrent charges and payments on one wallet: limits and non-negativity hold, no deadlock reaches the caller', async () => {
    const c = await customer(w);
    const m = await w.wallet.payments.createMerchant('Busy Shop');
    await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(100_000) });
    const sizes = Array.from({ length: 50 }, (_, i) => 5_000 + ((i * 7919) % 15_000));
    const ops = sizes.map((a, i) =>
      i % 2 === 0
        ? w.wallet.charges
            .createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(a) })
            .then((r) => ({ kind: 'charge' as const, amount: r.status === 'succeeded' ? a : 0 }))
        : w.wallet.payments
            .createPayment(c.actor, { merchantId: m.id, amount: amount(a) })
            .then(() => ({ kind: 'payment' as const, amount: a })),
    );
    const results = await Promise.allSettled(ops);
    for (const code of codesOf(results)) expect(['limit_exceeded', 'insufficient_funds']).toContain(code);
    const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const charged = done.filter((d) => d.kind === 'charge').reduce((s, d) => s + d.amount, 100_000);
    const paid = done.filter((d) => d.kind === 'payment').reduce((s, d) => s + d.amount, 0);
    expect(charged).toBeLessThanOrEqual(300_000);
    const balance = (await w.wallet.history.summary(c.actor)).balance;
    expect(balance).toBeGreaterThanOrEqual(0);
    expect(balance).toBe(charged - paid);
  });

  it('40 wallets paying one hot merchant at once all succeed and the merchant holds the sum', async () => {
    const m = await w.wallet.payments.createMerchant('Hot Shop');
    const payers = await Promise.all(Array.from({ length: 40 }, () => customer(w)));
    for (const p of payers)
      await w.wallet.charges.createCharge(p.actor, { bankLinkId: p.link.id, amount: amount(10_000) });
    const results = await Promise.allSettled(
      payers.map((p, i) => w.wallet.payments.createPayment(p.actor, { merchantId: m.id, amount: amount(100 + i) })),
    );
    expect(codesOf(results)).toEqual([]);
    const account = await w.wallet.accounts.merchantAccountOf(m.id);
    expect((await w.ledger.available(w.db, account)).available).toBe(payers.reduce((s, _, i) => s + 100 + i, 0));
  });

  it('transfers A→B and B→A at the same time never surface a deadlock and conserve money', async () => {
    const [a, b] = [await customer(w), await customer(w)];
    await w.wallet.charges.createCharge(a.actor, { bankLinkId: a.link.id, amount: amount(50_000) });
    await w.wallet.charges.createCharge(b.actor, { bankLinkId: b.link.id, amount: amount(50_000) });
    const ops = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? w.wallet.transfers.createTransfer(a.actor, { to: { userId: b.actor.id }, amount: amount(1_000 + i) })
        : w.wallet.transfers.createTransfer(b.actor, { to: { userId: a.actor.id }, amount: amount(1_000 + i) }),
    );
    expect(codesOf(await Promise.allSettled(ops))).toEqual([]);
    const [sa, sb] = [await w.wallet.history.summary(a.actor), await w.wallet.history.summary(b.actor)];
    expect(sa.balance + sb.balance).toBe(100_000);
  });

  it('settling one timed-out charge from 5 workers at once posts or voids it exactly once', async () => {
    const c = await customer(w, { bankCode: '0005' });
    await w.sandbox.bank.setFault('0005', 'timeout', 1);
    const ch = await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(9_000) });
    expect(ch.status).toBe('pending');
    await w.sandbox.bank.clearFaults('0005');
    w.clock.advance(60_000);
    await Promise.all(Array.from({ length: 5 }, () => w.wallet.settleInFlight(30_000)));
    const row = await w.db
      .selectFrom('charges')
      .select(['hold_id', 'status'])
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    const resolutions = await w.db
      .selectFrom('ledger_transfers')
      .select('phase')
      .where('pending_id', '=', row.hold_id!)
      .execute();
    expect(resolutions).toHaveLength(1);
    expect(resolutions[0]!.phase).toBe(row.status === 'succeeded' ? 'post' : 'void');
  });

  it('30 holder reports naming one failed attempt at once, while the holder charges: its wallet frozen, the holder’s link and wallet untouched', async () => {
    const holder = await customer(w);
    const thief = await customer(w);
    // The thief's failed attempt at the holder's account (their own link row, moved there: a test shortcut for the
    // linking flow, which test/linking.test.ts walks over HTTP).
    await w.db
      .updateTable('bank_links')
      .set({ ...snake(holder.bankAccount), status: 'failed', failure_code: 'bank_auth_failed' })
      .where('id', '=', thief.link.id)
      .execute();
    const stolen = thief.link;
    const results = await Promise.allSettled([
      ...Array.from({ length: 30 }, () => w.cases.reportUnauthorized(holder.bankAccount, stolen.id)),
      ...Array.from({ length: 5 }, () =>
        w.wallet.charges.createCharge(holder.actor, { bankLinkId: holder.link.id, amount: amount(1_000) }),
      ),
    ]);
    expect(codesOf(results)).toEqual([]);
    for (const r of results.slice(0, 30))
      expect(r.status === 'fulfilled' && r.value).toMatchObject({
        frozenLinks: [stolen.id],
        frozenWallets: [thief.actor.id],
      });
    expect((await w.banks.links.getLink(thief.actor.id, stolen.id)).status).toBe('failed');
    expect((await w.identity.getUser(thief.actor.id))?.frozen).toBe(true);
    expect((await w.banks.links.getLink(holder.actor.id, holder.link.id)).status).toBe('active');
    expect((await w.identity.getUser(holder.actor.id))?.frozen).toBe(false);
    expect((await w.wallet.history.summary(holder.actor)).balance).toBe(5_000);
  });
});
