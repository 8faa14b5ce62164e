import { type Transaction, sql } from 'kysely';
import type { DB, MoneyFailureCode, MoneyStatus } from '../db/index.ts';
import { inTransaction } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import type { Charges } from './charges.ts';
import { type WalletDeps, assertPayerMayPay, lockWallets } from './context.ts';
import type { Withdrawals } from './withdrawals.ts';

/**
 * Charges on the given links that are not final yet (at the bank, or waiting for a factor) are held for an
 * analyst: `in_review`, their ledger holds left pending so the money can be neither spent nor lost. Runs in the
 * caller's transaction (the "this wasn't me" report). Returns the charges held.
 */
export async function holdChargesForReview(trx: Transaction<DB>, linkIds: string[], at: Date): Promise<string[]> {
  if (linkIds.length === 0) return [];
  const held = await trx
    .updateTable('charges')
    .set({ status: 'in_review', updated_at: at })
    .where('bank_link_id', 'in', linkIds)
    .where('status', 'in', ['pending', 'requires_action'])
    .returning('id')
    .execute();
  return held.map((h) => h.id);
}

/** The link a charge debited (a holder reports a debit by the reference on their statement); undefined if none. */
export async function linkOfCharge(trx: Transaction<DB>, chargeId: string): Promise<string | undefined> {
  const row = await trx.selectFrom('charges').select('bank_link_id').where('id', '=', chargeId).executeTakeFirst();
  return row?.bank_link_id;
}

export const REVIEW_KINDS = ['charge', 'payment', 'transfer', 'withdrawal'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

/** What an analyst's decision left the object as. */
export interface ReviewOutcome {
  object: ReviewKind;
  id: string;
  status: MoneyStatus;
  failureCode?: MoneyFailureCode;
}

/** Writes that must commit with the decision or not at all (the case's resolution, its event, the audit record). */
export type WithDecision = (trx: Transaction<DB>, objectId: string) => Promise<void>;

/** Where each kind lives: its table, the column naming its ledger hold, its wallet(s), and whether it has updated_at. */
const OBJECTS = {
  charge: { table: 'charges', hold: 'hold_id', owner: 'user_id', other: null, touched: true },
  payment: { table: 'payments', hold: 'transfer_id', owner: 'user_id', other: null, touched: false },
  transfer: {
    table: 'wallet_transfers',
    hold: 'transfer_id',
    owner: 'from_user_id',
    other: 'to_user_id',
    touched: false,
  },
  withdrawal: { table: 'withdrawals', hold: 'hold_id', owner: 'user_id', other: null, touched: true },
} as const;

type HeldRow = {
  status: MoneyStatus;
  failure_code: MoneyFailureCode | null;
  owner: string;
  other: string | null;
  at_bank: boolean;
};

/**
 * The analyst's side of a risk review: approve posts the hold (payments, transfers) or sends the object to the bank
 * (charges, withdrawals: their own flows' saga), reject voids the hold (`failed`, `risk_rejected`). Both only from
 * `in_review`, under the wallet's lock with a conditional UPDATE: of parallel decisions exactly one wins, the others
 * are 409 invalid_state, and the money is posted or voided once (the ledger refuses a second resolution too).
 */
export function createReviews(deps: WalletDeps, charges: Charges, withdrawals: Withdrawals) {
  async function heldRow(kind: ReviewKind, id: string): Promise<HeldRow> {
    const o = OBJECTS[kind];
    const r = await sql<HeldRow>`
      SELECT status, failure_code, ${sql.ref(o.owner)} AS owner, ${o.other ? sql.ref(o.other) : sql`NULL`} AS other,
        ${o.touched ? sql`bank_called_at IS NOT NULL` : sql`false`} AS at_bank
      FROM ${sql.table(o.table)} WHERE id = ${id}`.execute(deps.db);
    const row = r.rows[0];
    if (!row) throw new AppError('not_found', `no ${kind} ${id}`);
    return row;
  }

  async function outcome(kind: ReviewKind, id: string): Promise<ReviewOutcome> {
    const row = await heldRow(kind, id);
    return { object: kind, id, status: row.status, ...(row.failure_code ? { failureCode: row.failure_code } : {}) };
  }

  const notInReview = (kind: ReviewKind, status: string) =>
    new AppError('invalid_state', `the ${kind} is ${status}, not in_review`, { status });

  /** Approves an `in_review` object: its money moves as if it had never been held. */
  async function approveReview(kind: ReviewKind, id: string, alongside?: WithDecision): Promise<ReviewOutcome> {
    if (kind === 'charge') await charges.releaseReviewed(id, alongside);
    else if (kind === 'withdrawal') await withdrawals.releaseReviewed(id, alongside);
    else await postHeld(kind, id, alongside);
    return outcome(kind, id);
  }

  async function postHeld(kind: 'payment' | 'transfer', id: string, alongside?: WithDecision): Promise<void> {
    const row = await heldRow(kind, id);
    if (row.status !== 'in_review') throw notInReview(kind, row.status);
    const o = OBJECTS[kind];
    await inTransaction(deps.db, async (trx) => {
      await lockWallets(trx, row.other ? [row.owner, row.other] : [row.owner]);
      await alongside?.(trx, id);
      // A wallet frozen meanwhile keeps its money: the freeze wins over the approval.
      await assertPayerMayPay(trx, row.owner, deps.clock.now(), false);
      const r = await sql<{ hold: string }>`
        UPDATE ${sql.table(o.table)} SET status = 'succeeded'
        WHERE id = ${id} AND status = 'in_review' RETURNING ${sql.ref(o.hold)} AS hold`.execute(trx);
      const hold = r.rows[0]?.hold;
      if (!hold) throw new AppError('invalid_state', `the ${kind} was approved or rejected already`);
      await deps.ledger.resolvePending(trx, hold, 'post');
    });
  }

  /**
   * Rejects an `in_review` object: it fails with `risk_rejected` and its hold is voided (the payer keeps the money;
   * a charge's bank is never called). A charge a holder's report held while it was already at the bank cannot be
   * rejected here (the bank may have moved the money): approve it and the inquiry job settles it with the bank.
   */
  async function rejectReview(kind: ReviewKind, id: string, alongside?: WithDecision): Promise<ReviewOutcome> {
    const row = await heldRow(kind, id);
    if (row.status !== 'in_review') throw notInReview(kind, row.status);
    if (row.at_bank)
      throw new AppError('invalid_state', `the ${kind} was at the bank when it was held: approve it, the bank decides`);
    const o = OBJECTS[kind];
    await inTransaction(deps.db, async (trx) => {
      await lockWallets(trx, row.other ? [row.owner, row.other] : [row.owner]);
      await alongside?.(trx, id);
      const touched = o.touched ? sql`, updated_at = ${deps.clock.now()}` : sql``;
      const r = await sql<{ hold: string | null }>`
        UPDATE ${sql.table(o.table)} SET status = 'failed', failure_code = 'risk_rejected'${touched}
        WHERE id = ${id} AND status = 'in_review' RETURNING ${sql.ref(o.hold)} AS hold`.execute(trx);
      const done = r.rows[0];
      if (!done) throw new AppError('invalid_state', `the ${kind} was approved or rejected already`);
      if (done.hold) await deps.ledger.resolvePending(trx, done.hold, 'void');
    });
    return outcome(kind, id);
  }

  return { approveReview, rejectReview };
}
export type Reviews = ReturnType<typeof createReviews>;
