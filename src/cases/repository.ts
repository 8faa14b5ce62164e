import type { Kysely, Selectable, Transaction } from 'kysely';
import type { CaseStatus, DB } from '../db/index.ts';
import type { CaseKind, CaseView, Page } from './types.ts';

type Q = Kysely<DB> | Transaction<DB>;

/** Queries on cases and case_events: the only writer of both. */

export async function insertCase(
  q: Q,
  c: {
    id: string;
    kind: CaseKind;
    account?: { bankCode: string; branchCode: string; accountNumber: string } | undefined;
    details: Record<string, unknown>;
    at: Date;
  },
): Promise<void> {
  await q
    .insertInto('cases')
    .values({
      id: c.id,
      kind: c.kind,
      bank_code: c.account?.bankCode ?? null,
      branch_code: c.account?.branchCode ?? null,
      account_number: c.account?.accountNumber ?? null,
      details: JSON.stringify(c.details),
      created_at: c.at,
      updated_at: c.at,
    })
    .execute();
}

export async function casesPage(
  q: Q,
  f: { kind?: string; status?: string; assignee?: string; limit: number; startingAfter?: string },
): Promise<Page<CaseView>> {
  let query = q
    .selectFrom('cases')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(f.limit + 1);
  if (f.kind) query = query.where('kind', '=', f.kind as CaseKind);
  if (f.status) query = query.where('status', '=', f.status as CaseStatus);
  if (f.assignee) query = query.where('assignee', '=', f.assignee);
  if (f.startingAfter) query = query.where('id', '<', f.startingAfter);
  const rows = await query.execute();
  return { data: rows.slice(0, f.limit).map(toCase), hasMore: rows.length > f.limit };
}

export async function findCase(q: Q, id: string, lock = false): Promise<CaseView | undefined> {
  let query = q.selectFrom('cases').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toCase(row) : undefined;
}

/** Moves a case from the status it had when read (a conditional UPDATE: a concurrent move makes this one fail). */
export async function moveCase(
  trx: Transaction<DB>,
  id: string,
  from: CaseStatus,
  to: CaseStatus,
  assignee: string | null,
  at: Date,
): Promise<boolean> {
  const r = await trx
    .updateTable('cases')
    .set({ status: to, assignee, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', from)
    .returning('id')
    .executeTakeFirst();
  return r !== undefined;
}

export async function insertEvent(
  trx: Transaction<DB>,
  e: {
    id: string;
    caseId: string;
    actor: string;
    from: CaseStatus;
    to: CaseStatus;
    assignee: string | null;
    note: string;
    at: Date;
  },
): Promise<void> {
  await trx
    .insertInto('case_events')
    .values({
      id: e.id,
      case_id: e.caseId,
      actor: e.actor,
      from_status: e.from,
      to_status: e.to,
      assignee: e.assignee,
      note: e.note,
      created_at: e.at,
    })
    .execute();
}

export async function eventsOf(q: Q, caseId: string) {
  const rows = await q.selectFrom('case_events').selectAll().where('case_id', '=', caseId).orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    actor: r.actor,
    from: r.from_status,
    to: r.to_status,
    assignee: r.assignee,
    note: r.note,
    at: new Date(r.created_at).toISOString(),
  }));
}

/** Full account numbers stay in the database: operators see the last four digits (docs/style.md, logs and views). */
function toCase(r: Selectable<DB['cases']>): CaseView {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    assignee: r.assignee,
    bankAccount: r.bank_code
      ? {
          bankCode: r.bank_code,
          branchCode: r.branch_code ?? '',
          accountNumberLast4: (r.account_number ?? '').slice(-4),
        }
      : null,
    details: JSON.parse(r.details) as Record<string, unknown>,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
