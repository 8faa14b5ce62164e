import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/index.ts';
import { createLedger, verifyLedger } from '../src/ledger/index.ts';
import { inTransaction } from '../src/db/index.ts';
import { amount, yen } from '../src/money/index.ts';
import { ManualClock, ulidIds } from '../src/platform/index.ts';
import { DATABASES, freshDatabase } from './support/databases.ts';

describe.each(DATABASES)('ledger on %s', (kind) => {
  let d: Database;
  const ledger = createLedger({ clock: new ManualClock(), newId: ulidIds() });
  let wallet: string;
  let other: string;
  let merchant: string;
  let bank: string;

  beforeAll(async () => {
    d = await freshDatabase(kind);
    wallet = await ledger.createAccount(d.db, { kind: 'wallet', ownerId: 'usr_a' });
    other = await ledger.createAccount(d.db, { kind: 'wallet', ownerId: 'usr_b' });
    merchant = await ledger.createAccount(d.db, { kind: 'merchant', ownerId: 'mer_a' });
    bank = await ledger.bankClearingAccount(d.db, '0001');
  });
  afterAll(async () => {
    expect(await verifyLedger(d.db)).toEqual([]);
    await d.close();
  });

  it('holds a charge as pending, then posts it', async () => {
    const [hold] = await inTransaction(d.db, (trx) =>
      ledger.transfer(
        trx,
        [{ debitAccountId: bank, creditAccountId: wallet, amount: amount(10_000), code: 'charge' }],
        'pending',
      ),
    );
    expect(await ledger.available(d.db, wallet)).toEqual({ available: 0, pendingIncoming: 10_000, pendingOutgoing: 0 });
    await inTransaction(d.db, (trx) => ledger.resolvePending(trx, hold!.id, 'post'));
    expect(await ledger.available(d.db, wallet)).toEqual({ available: 10_000, pendingIncoming: 0, pendingOutgoing: 0 });
    await expect(inTransaction(d.db, (trx) => ledger.resolvePending(trx, hold!.id, 'void'))).rejects.toMatchObject({
      code: 'invalid_state',
    });
    await expect(inTransaction(d.db, (trx) => ledger.resolvePending(trx, hold!.id, 'post'))).rejects.toMatchObject({
      code: 'invalid_state',
    });
    expect(await ledger.available(d.db, wallet)).toMatchObject({ available: 10_000 });
  });

  it('voids a hold and releases it', async () => {
    const [hold] = await inTransaction(d.db, (trx) =>
      ledger.transfer(
        trx,
        [{ debitAccountId: wallet, creditAccountId: bank, amount: amount(4_000), code: 'withdrawal' }],
        'pending',
      ),
    );
    expect(await ledger.available(d.db, wallet)).toEqual({
      available: 6_000,
      pendingIncoming: 0,
      pendingOutgoing: 4_000,
    });
    await inTransaction(d.db, (trx) => ledger.resolvePending(trx, hold!.id, 'void'));
    expect(await ledger.available(d.db, wallet)).toEqual({ available: 10_000, pendingIncoming: 0, pendingOutgoing: 0 });
  });

  it('refuses an overdraft in the database and changes nothing', async () => {
    const before = await ledger.balance(d.db, wallet);
    await expect(
      inTransaction(d.db, (trx) =>
        ledger.transfer(trx, [
          { debitAccountId: wallet, creditAccountId: merchant, amount: amount(6_000), code: 'payment' },
          { debitAccountId: wallet, creditAccountId: other, amount: amount(6_000), code: 'transfer' },
        ]),
      ),
    ).rejects.toMatchObject({ code: 'insufficient_funds' });
    expect(await ledger.balance(d.db, wallet)).toEqual(before);
    // Even a hand-written UPDATE cannot overdraw a wallet: the CHECK constraint is in the table.
    await expect(
      sql`UPDATE ledger_balances SET debits_posted = debits_posted + 1000000 WHERE account_id = ${wallet}`.execute(
        d.db,
      ),
    ).rejects.toThrow(/balance_not_overdrawn/);
  });

  it('commits a set of transfers atomically and spreads a hot account over slots', async () => {
    await inTransaction(d.db, (trx) =>
      ledger.transfer(
        trx,
        Array.from({ length: 20 }, () => ({
          debitAccountId: wallet,
          creditAccountId: merchant,
          amount: amount(100),
          code: 'payment',
        })),
      ),
    );
    expect(await ledger.available(d.db, merchant)).toMatchObject({ available: 2_000 });
    const slots = await d.db
      .selectFrom('ledger_balances')
      .select('slot')
      .where('account_id', '=', merchant)
      .where('credits_posted', '>', 0)
      .execute();
    expect(slots.length).toBeGreaterThan(1);
  });

  it('keeps transfers immutable and corrects by reversal', async () => {
    const [t] = await inTransaction(d.db, (trx) =>
      ledger.transfer(trx, [{ debitAccountId: wallet, creditAccountId: other, amount: amount(500), code: 'transfer' }]),
    );
    await expect(sql`UPDATE ledger_transfers SET amount = 1 WHERE id = ${t!.id}`.execute(d.db)).rejects.toThrow(
      /immutable/,
    );
    await expect(sql`DELETE FROM ledger_transfers WHERE id = ${t!.id}`.execute(d.db)).rejects.toThrow(/immutable/);
    const r = await inTransaction(d.db, (trx) => ledger.reverse(trx, t!.id, amount(500)));
    expect(r.reversesId).toBe(t!.id);
    expect(await ledger.available(d.db, other)).toMatchObject({ available: 0 });
  });

  it('rejects out-of-range amounts in the database', async () => {
    await expect(
      sql`INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, debit_slot, credit_slot, amount, phase, code, created_at) VALUES ('x', ${wallet}, ${other}, 0, 0, 0, 'single', 't', now())`.execute(
        d.db,
      ),
    ).rejects.toThrow();
    expect(yen(0)).toBe(0);
  });

  it('verification catches a tampered balance', async () => {
    await sql`UPDATE ledger_balances SET credits_posted = credits_posted + 1 WHERE account_id = ${merchant} AND slot = 0`.execute(
      d.db,
    );
    const v = await verifyLedger(d.db);
    expect(v.map((x) => x.check)).toEqual(expect.arrayContaining(['account_balance', 'ledger_sum_zero']));
    await sql`UPDATE ledger_balances SET credits_posted = credits_posted - 1 WHERE account_id = ${merchant} AND slot = 0`.execute(
      d.db,
    );
  });
});
