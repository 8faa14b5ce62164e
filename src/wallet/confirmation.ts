import { type Transaction, sql } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { type Yen, yen } from '../money/index.ts';
import type { WalletDeps } from './context.ts';
import type { NextAction } from './types.ts';

/**
 * Money objects waiting for a second factor (`requires_action`): a plain rule (first charge on a link, first
 * withdrawal, transfers adding up to the day's threshold) or a risk challenge. Every limit that holds at creation
 * holds at confirmation: a waiting object holds its money and its headroom, and confirm re-checks.
 */

/** A waiting object is voided (`confirmation_expired`) after 15 minutes. */
export const CONFIRM_TTL_MS = 15 * 60 * 1000;

export const confirmationCutoff = (now: Date): Date => new Date(now.getTime() - CONFIRM_TTL_MS);

export const isConfirmationExpired = (createdAt: Date | string, now: Date): boolean =>
  new Date(createdAt).getTime() + CONFIRM_TTL_MS < now.getTime();

export function nextActionFor(kind: 'charges' | 'payments' | 'transfers' | 'withdrawals', id: string): NextAction {
  return { type: 'confirm', methods: ['otp', 'passkey'], confirmUrl: `/v1/${kind}/${id}/confirm` };
}

/**
 * Charges waiting for their factor: they hold no ledger money yet (the bank is not called before the factor),
 * so their amount is added to what the wallet holds when the balance cap is checked.
 */
export async function waitingChargesOf(
  trx: Transaction<DB>,
  userId: string,
  now: Date,
  excludeId?: string,
): Promise<Yen> {
  let q = trx
    .selectFrom('charges')
    .select(sql<number>`coalesce(sum(amount), 0)::int8`.as('held'))
    .where('user_id', '=', userId)
    .where('status', '=', 'requires_action')
    .where('created_at', '>', confirmationCutoff(now));
  if (excludeId) q = q.where('id', '<>', excludeId);
  return yen((await q.executeTakeFirstOrThrow()).held);
}

/**
 * What counts against a wallet's balance cap: spendable money, incoming holds (charges in flight, transfers
 * waiting for their sender's factor) and charges waiting for a factor. Call under the wallet's lock.
 */
export async function walletHolding(
  deps: WalletDeps,
  trx: Transaction<DB>,
  userId: string,
  walletAccount: string,
  excludeChargeId?: string,
): Promise<Yen> {
  const a = await deps.ledger.available(trx, walletAccount);
  return yen(
    a.available + a.pendingIncoming + (await waitingChargesOf(trx, userId, deps.clock.now(), excludeChargeId)),
  );
}

/** Money objects that hold their money in a ledger hold while they wait, and the column naming that hold. */
const HOLD_OF = { payments: 'transfer_id', wallet_transfers: 'transfer_id', withdrawals: 'hold_id' } as const;
export type WaitingTable = keyof typeof HOLD_OF;

/**
 * A waiting object fails with `confirmation_expired` and its hold is voided, in one transaction; false when it
 * was no longer waiting (confirmed or voided meanwhile: the conditional UPDATE lets exactly one caller through).
 */
export async function voidWaiting(deps: WalletDeps, table: WaitingTable, id: string): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    const touched = table === 'withdrawals' ? sql`, updated_at = ${deps.clock.now()}` : sql``;
    const r = await sql<{ hold: string | null }>`
      UPDATE ${sql.table(table)} SET status = 'failed', failure_code = 'confirmation_expired'${touched}
      WHERE id = ${id} AND status = 'requires_action'
      RETURNING ${sql.ref(HOLD_OF[table])} AS hold`.execute(trx);
    const hold = r.rows[0]?.hold;
    if (!hold) return false;
    await deps.ledger.resolvePending(trx, hold, 'void');
    return true;
  });
}

/** The periodic job's pass over one table: voids up to `batch` objects left unconfirmed for 15 minutes. */
export async function expireWaiting(deps: WalletDeps, table: WaitingTable, batch = 100): Promise<number> {
  const rows = await sql<{ id: string }>`
    SELECT id FROM ${sql.table(table)}
    WHERE status = 'requires_action' AND created_at < ${confirmationCutoff(deps.clock.now())}
    ORDER BY created_at LIMIT ${batch}`.execute(deps.db);
  let n = 0;
  for (const r of rows.rows) if (await voidWaiting(deps, table, r.id)) n++;
  return n;
}
