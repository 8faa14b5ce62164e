import { type Kysely, type OperationNodeSource, type Selectable, type Transaction, sql } from 'kysely';
import type { DB, LedgerTransfersTable } from '../db/index.ts';
import { yen } from '../money/index.ts';
import type { AccountKind, Balance, Transfer } from './types.ts';

type Q = Kysely<DB> | Transaction<DB>;

export interface AccountShape {
  id: string;
  kind: AccountKind;
  slots: number;
  mustNotOverdraw: boolean;
}

export async function insertAccount(
  trx: Q,
  a: AccountShape & { ownerId: string | null; bankCode: string | null; createdAt: Date },
): Promise<void> {
  await trx
    .insertInto('ledger_accounts')
    .values({
      id: a.id,
      kind: a.kind,
      owner_id: a.ownerId,
      bank_code: a.bankCode,
      slots: a.slots,
      must_not_overdraw: a.mustNotOverdraw,
      created_at: a.createdAt,
    })
    .execute();
  const rows = Array.from({ length: a.slots }, (_, slot) => ({
    account_id: a.id,
    slot,
    must_not_overdraw: a.mustNotOverdraw,
  }));
  await trx.insertInto('ledger_balances').values(rows).execute();
}

export async function findAccountShape(q: Q, id: string): Promise<AccountShape | undefined> {
  const row = await q
    .selectFrom('ledger_accounts')
    .select(['id', 'kind', 'slots', 'must_not_overdraw'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { id: row.id, kind: row.kind, slots: row.slots, mustNotOverdraw: row.must_not_overdraw };
}

export async function findAccountId(
  q: Q,
  kind: AccountKind,
  key: { ownerId?: string; bankCode?: string },
): Promise<string | undefined> {
  let query = q.selectFrom('ledger_accounts').select('id').where('kind', '=', kind);
  if (key.ownerId !== undefined) query = query.where('owner_id', '=', key.ownerId);
  if (key.bankCode !== undefined) query = query.where('bank_code', '=', key.bankCode);
  return (await query.executeTakeFirst())?.id;
}

export interface SlotDelta {
  accountId: string;
  slot: number;
  debitsPosted: number;
  creditsPosted: number;
  debitsPending: number;
  creditsPending: number;
}

export interface TransferRow {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  debitSlot: number;
  creditSlot: number;
  amount: number;
  phase: Transfer['phase'];
  pendingId: string | null;
  reversesId: string | null;
  code: string;
  refId: string | null;
  createdAt: Date;
}

/**
 * Applies balance deltas and inserts the transfer rows in ONE statement: one round trip per money movement
 * keeps the database, not the client, the limit on throughput. Returns how many balance rows were touched so
 * the caller can detect an unknown account.
 */
/** Another data-modifying statement that must commit or fail together with the movement (e.g. the payment row). */
export type Alongside = OperationNodeSource;

export async function applyMovement(
  trx: Q,
  deltas: SlotDelta[],
  transfers: TransferRow[],
  alongside: Alongside[] = [],
): Promise<number> {
  const values = sql.join(
    deltas.map(
      (d) =>
        sql`(${d.accountId}::text, ${d.slot}::int, ${d.debitsPosted}::int8, ${d.creditsPosted}::int8, ${d.debitsPending}::int8, ${d.creditsPending}::int8)`,
    ),
  );
  const rows = sql.join(
    transfers.map(
      (t) =>
        sql`(${t.id}, ${t.debitAccountId}, ${t.creditAccountId}, ${t.debitSlot}::int, ${t.creditSlot}::int, ${t.amount}::int8, ${t.phase}, ${t.pendingId}, ${t.reversesId}, ${t.code}, ${t.refId}, ${t.createdAt.toISOString()}::timestamptz)`,
    ),
  );
  const result = await sql<{ touched: number }>`
    WITH ins AS (
      INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, debit_slot, credit_slot, amount, phase, pending_id, reverses_id, code, ref_id, created_at)
      VALUES ${rows}
      RETURNING id
    ), upd AS (
      UPDATE ledger_balances b SET
        debits_posted = b.debits_posted + v.dp,
        credits_posted = b.credits_posted + v.cp,
        debits_pending = b.debits_pending + v.dpe,
        credits_pending = b.credits_pending + v.cpe
      FROM (VALUES ${values}) AS v(account_id, slot, dp, cp, dpe, cpe)
      WHERE b.account_id = v.account_id AND b.slot = v.slot
      RETURNING 1
    )${sql.join(
      alongside.map((q, i) => sql`, ${sql.ref(`also${i}`)} AS (${q})`),
      sql``,
    )}
    SELECT (SELECT count(*) FROM upd)::int AS touched, (SELECT count(*) FROM ins)::int AS inserted
  `.execute(trx);
  return result.rows[0]?.touched ?? 0;
}

export async function findTransfer(q: Q, id: string): Promise<TransferRow | undefined> {
  const r = await q.selectFrom('ledger_transfers').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toTransferRow(r);
}

export async function isResolved(q: Q, pendingId: string): Promise<boolean> {
  const r = await q.selectFrom('ledger_transfers').select('id').where('pending_id', '=', pendingId).executeTakeFirst();
  return r !== undefined;
}

export async function sumBalance(q: Q, accountId: string): Promise<Balance> {
  const r = await q
    .selectFrom('ledger_balances')
    .select([
      sql<number>`coalesce(sum(debits_posted), 0)::int8`.as('dp'),
      sql<number>`coalesce(sum(credits_posted), 0)::int8`.as('cp'),
      sql<number>`coalesce(sum(debits_pending), 0)::int8`.as('dpe'),
      sql<number>`coalesce(sum(credits_pending), 0)::int8`.as('cpe'),
    ])
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return { debitsPosted: yen(r.dp), creditsPosted: yen(r.cp), debitsPending: yen(r.dpe), creditsPending: yen(r.cpe) };
}

export async function listTransfersOf(q: Q, refId: string): Promise<TransferRow[]> {
  const rows = await q.selectFrom('ledger_transfers').selectAll().where('ref_id', '=', refId).orderBy('id').execute();
  return rows.map(toTransferRow);
}

function toTransferRow(r: Selectable<LedgerTransfersTable>): TransferRow {
  return {
    id: r.id,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    debitSlot: r.debit_slot,
    creditSlot: r.credit_slot,
    amount: r.amount,
    phase: r.phase,
    pendingId: r.pending_id,
    reversesId: r.reverses_id,
    code: r.code,
    refId: r.ref_id,
    createdAt: new Date(r.created_at),
  };
}
