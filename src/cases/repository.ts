import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { CaseStatus, DB } from '../db/index.ts';
import type { StoredEvent } from '../risk/index.ts';
import { type CaseKind, type CaseView, type Page, RELATED_BY, type RelatedBy, type ReviewEvent } from './types.ts';

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

export interface CaseFilter {
  kind?: string;
  status?: string;
  assignee?: string;
  /** The wallet a case is about: a risk review's user, or one of the wallets a report froze. */
  userId?: string;
  /** The risk decision that opened a risk review. */
  decision?: string;
  /** Only cases involving this bank (a bank operator's scope: see `inBank`). */
  bankCode?: string;
  limit: number;
  startingAfter?: string;
}

export async function casesPage(q: Q, f: CaseFilter): Promise<Page<CaseView>> {
  let query = q
    .selectFrom('cases')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(f.limit + 1);
  if (f.kind) query = query.where('kind', '=', f.kind as CaseKind);
  if (f.status) query = query.where('status', '=', f.status as CaseStatus);
  if (f.assignee) query = query.where('assignee', '=', f.assignee);
  if (f.userId) {
    const userId = f.userId;
    query = query.where(
      sql<boolean>`(details::jsonb ->> 'userId' = ${userId} OR coalesce(details::jsonb -> 'frozenWallets', '[]'::jsonb) @> jsonb_build_array(${userId}::text))`,
    );
  }
  if (f.decision) query = query.where(sql<boolean>`details::jsonb -> 'risk' ->> 'decision' = ${f.decision}`);
  if (f.bankCode) query = query.where(inBank(f.bankCode));
  if (f.startingAfter) query = query.where('id', '<', f.startingAfter);
  const rows = await query.execute();
  return { data: rows.slice(0, f.limit).map(toCase), hasMore: rows.length > f.limit };
}

/**
 * A case involves a bank when its bank account is there (reports, detections, link reviews), or when the money it
 * holds is: a reviewed charge or withdrawal, or a charge a report held, on a link to that bank.
 */
export const inBank = (bankCode: string) =>
  sql<boolean>`(cases.bank_code = ${bankCode}
    OR EXISTS (SELECT 1 FROM charges ch WHERE ch.bank_code = ${bankCode}
      AND (ch.id = cases.details::jsonb ->> 'objectId'
        OR coalesce(cases.details::jsonb -> 'heldCharges', '[]'::jsonb) @> jsonb_build_array(ch.id)))
    OR EXISTS (SELECT 1 FROM withdrawals wd WHERE wd.bank_code = ${bankCode}
      AND wd.id = cases.details::jsonb ->> 'objectId'))`;

export async function caseInBank(q: Q, id: string, bankCode: string): Promise<boolean> {
  const r = await q.selectFrom('cases').select('id').where('id', '=', id).where(inBank(bankCode)).executeTakeFirst();
  return r !== undefined;
}

export async function findCase(q: Q, id: string, lock = false): Promise<CaseView | undefined> {
  let query = q.selectFrom('cases').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toCase(row) : undefined;
}

/** The case's bank account as the risk engine keys it ("bank-branch-account", in full: for list entries only). */
export async function caseAccountKey(q: Q, id: string): Promise<string | undefined> {
  const r = await q
    .selectFrom('cases')
    .select(['bank_code', 'branch_code', 'account_number'])
    .where('id', '=', id)
    .executeTakeFirst();
  return r?.bank_code ? `${r.bank_code}-${r.branch_code ?? ''}-${r.account_number ?? ''}` : undefined;
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

/**
 * Stored risk events (risk's table, read here only for the analyst's view) that share one field of an event
 * (device, IP, bank account, payee), other than the object's own: newest first. The event is JSON text: the field is
 * read with `->>` (no index yet; the risk area should give this query one when the table grows).
 */
export async function relatedEvents(
  q: Q,
  by: RelatedBy,
  value: string,
  excludeObjectId: string,
  limit: number,
): Promise<ReviewEvent[]> {
  const r = await sql<EventRow>`
    SELECT id, type, user_id, object_id, amount, occurred_at, event, signals, decision, score, reasons,
      rule_set_version, shadow, label
    FROM risk_events
    WHERE event::jsonb ->> ${RELATED_BY[by]} = ${value} AND object_id IS DISTINCT FROM ${excludeObjectId}
    ORDER BY seq DESC LIMIT ${limit}`.execute(q);
  return r.rows.map((row) =>
    reviewEvent({
      id: row.id,
      type: row.type,
      userId: row.user_id,
      objectId: row.object_id,
      amount: Number(row.amount),
      at: new Date(row.occurred_at),
      event: JSON.parse(row.event) as StoredEvent['event'],
      signals: JSON.parse(row.signals) as StoredEvent['signals'],
      decision: row.decision,
      score: row.score,
      reasons: JSON.parse(row.reasons) as StoredEvent['reasons'],
      ruleSetVersion: row.rule_set_version,
      shadow: row.shadow ? (JSON.parse(row.shadow) as StoredEvent['shadow']) : null,
      label: row.label,
    }),
  );
}

type EventRow = {
  id: string;
  type: string;
  user_id: string;
  object_id: string | null;
  amount: number | string;
  occurred_at: Date | string;
  event: string;
  signals: string;
  decision: StoredEvent['decision'];
  score: number;
  reasons: string;
  rule_set_version: number;
  shadow: string | null;
  label: StoredEvent['label'];
};

/** "bank-branch-account" → "bank-branch-***1234": operators see the last four digits of an account. */
export const maskBankAccount = (key: string): string => {
  const parts = key.split('-');
  const account = parts.pop() ?? '';
  return [...parts, `***${account.slice(-4)}`].join('-');
};

export function reviewEvent(
  e: Pick<
    StoredEvent,
    | 'id'
    | 'type'
    | 'userId'
    | 'objectId'
    | 'amount'
    | 'at'
    | 'event'
    | 'signals'
    | 'decision'
    | 'score'
    | 'reasons'
    | 'ruleSetVersion'
    | 'shadow'
    | 'label'
  >,
): ReviewEvent {
  return {
    id: e.id,
    type: e.type,
    userId: e.userId,
    objectId: e.objectId,
    amount: e.amount,
    at: e.at.toISOString(),
    event: { ...e.event, ...(e.event.bankAccount ? { bankAccount: maskBankAccount(e.event.bankAccount) } : {}) },
    signals: { ...e.signals },
    decision: e.decision,
    score: e.score,
    reasons: e.reasons.map((r) => ({ rule: r.rule, message: r.message })),
    ruleSetVersion: e.ruleSetVersion,
    shadow: e.shadow
      ? {
          version: e.shadow.version,
          decision: e.shadow.decision,
          score: e.shadow.score,
          reasons: e.shadow.reasons.map((r) => ({ rule: r.rule, message: r.message })),
        }
      : null,
    label: e.label,
  };
}
