import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import type { Audit } from './audit.ts';
import type { Operator } from './types.ts';

export type ApprovalStatus = 'requested' | 'approved' | 'rejected' | 'executed' | 'failed';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['requested', 'approved', 'rejected', 'executed', 'failed'];
export const MAX_APPROVAL_TEXT = 1000;

export interface Approval {
  id: string;
  action: string;
  target: string;
  payload: Record<string, unknown>;
  requestedBy: string;
  reason: string;
  /** `approved` is reserved for actions run after the decision; today every handler runs in it (executed | failed). */
  status: ApprovalStatus;
  decidedBy: string | null;
  decisionNote: string | null;
  /** What the handler returned (executed), or `{error: {code, message}}` (failed). */
  result: Record<string, unknown> | null;
  requestedAt: string;
  decidedAt: string | null;
}

export interface ApprovalRequest {
  /** A registered action, e.g. `case.unfreeze_wallet`. */
  action: string;
  /** What it acts on (a case id, a wallet id): one open request per action and target. */
  target: string;
  payload: Record<string, unknown>;
  requestedBy: string;
  reason: string;
}

export interface ApprovalContext {
  approval: Approval;
  /** The second operator (never the requester). */
  approver: Pick<Operator, 'id' | 'role'>;
  at: Date;
  /** Runs after the decision commits (drop caches, notify); never inside the transaction. */
  afterCommit(fn: () => void): void;
}

/**
 * Runs an approved action inside the decision's transaction (`trx` only: no network calls, no other handle).
 * Throw an AppError to refuse: the decision is then recorded as `failed` with the error, and nothing else changes.
 */
export type ApprovalHandler = (
  trx: Transaction<DB>,
  payload: Record<string, unknown>,
  ctx: ApprovalContext,
) => Promise<Record<string, unknown> | undefined>;

type Q = Kysely<DB> | Transaction<DB>;
type Row = Selectable<DB['approvals']>;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const toApproval = (r: Row): Approval => ({
  id: r.id,
  action: r.action,
  target: r.target,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  requestedBy: r.requested_by,
  reason: r.reason,
  status: r.status,
  decidedBy: r.decided_by,
  decisionNote: r.decision_note,
  result: r.result === null ? null : (JSON.parse(r.result) as Record<string, unknown>),
  requestedAt: new Date(r.requested_at).toISOString(),
  decidedAt: iso(r.decided_at),
});

function checkText(raw: string, field: string): string {
  const text = raw.trim();
  if (!text) throw new AppError('reason_required', `say why (${field})`, { field });
  if (text.length > MAX_APPROVAL_TEXT)
    throw new AppError('invalid_request', `${field} is at most ${MAX_APPROVAL_TEXT} characters`, { field });
  return text;
}

/** Thrown through the decision's transaction so it rolls back; carries the handler's refusal out. */
class HandlerRefused extends Error {
  constructor(readonly refusal: AppError) {
    super(refusal.message);
  }
}

/**
 * Four-eyes approvals: an action that one operator may only ask for is stored as a request and runs when a second
 * operator approves it. The status change, the handler's work and the audit record are one transaction on the
 * request's locked row, so of any number of parallel approvals exactly one executes; the others get 409.
 */
export function createApprovals(deps: { db: Kysely<DB>; clock: Clock; newId: NewId; audit: Audit }) {
  const { db, clock, audit } = deps;
  const handlers = new Map<string, ApprovalHandler>();

  /** Once per action, at wiring time (services.ts). */
  function registerApprovalHandler(action: string, handler: ApprovalHandler): void {
    if (handlers.has(action)) throw new Error(`approval handler for ${action} is already registered`);
    handlers.set(action, handler);
  }

  async function insertRequest(trx: Transaction<DB>, req: ApprovalRequest, reason: string): Promise<Approval> {
    const row = await trx
      .insertInto('approvals')
      .values({
        id: deps.newId('apr'),
        action: req.action,
        target: req.target,
        payload: JSON.stringify(req.payload),
        requested_by: req.requestedBy,
        reason,
        requested_at: clock.now(),
      })
      // A literal predicate: PostgreSQL infers the partial unique index only from one (not from a parameter).
      .onConflict((oc) => oc.columns(['action', 'target']).where('status', '=', sql.lit('requested')).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      // Already asked and not yet decided: the open request stands (asking again adds nothing).
      const open = await trx
        .selectFrom('approvals')
        .selectAll()
        .where('action', '=', req.action)
        .where('target', '=', req.target)
        .where('status', '=', 'requested')
        .executeTakeFirstOrThrow();
      return toApproval(open);
    }
    await audit.append(trx, {
      actor: req.requestedBy,
      action: 'approval.request',
      target: row.id,
      details: { action: req.action, target: req.target, reason },
    });
    return toApproval(row);
  }

  /** Asks for a second operator's approval, in the caller's transaction if given (audited in it). */
  async function requestApproval(trx: Transaction<DB> | undefined, req: ApprovalRequest): Promise<Approval> {
    if (!handlers.has(req.action))
      throw new AppError('invalid_request', `no approval handler for ${req.action}`, { action: req.action });
    const reason = checkText(req.reason, 'reason');
    return trx ? insertRequest(trx, req, reason) : inTransaction(db, (t) => insertRequest(t, req, reason));
  }

  async function lockOpen(trx: Transaction<DB>, id: string, approverId: string): Promise<Approval> {
    const row = await trx.selectFrom('approvals').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', `no approval ${id}`);
    if (row.status !== 'requested')
      throw new AppError('invalid_state', `this approval is already ${row.status}`, { status: row.status });
    if (row.requested_by === approverId)
      throw new AppError('self_approval', 'a second operator must decide: never the one who asked');
    return toApproval(row);
  }

  async function close(
    trx: Transaction<DB>,
    a: Approval,
    by: string,
    status: 'rejected' | 'executed' | 'failed',
    note: string,
    result: Record<string, unknown> | null,
  ): Promise<Approval> {
    const row = await trx
      .updateTable('approvals')
      .set({
        status,
        decided_by: by,
        decision_note: note,
        result: result === null ? null : JSON.stringify(result),
        decided_at: clock.now(),
      })
      .where('id', '=', a.id)
      .where('status', '=', 'requested')
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit.append(trx, {
      actor: by,
      action: `approval.${status === 'executed' ? 'execute' : status === 'rejected' ? 'reject' : 'fail'}`,
      target: a.id,
      details: { action: a.action, target: a.target, requestedBy: a.requestedBy, note, ...(result ? { result } : {}) },
    });
    return toApproval(row);
  }

  /**
   * A second operator's decision, with a note. Approve runs the action's handler in the same transaction as the
   * status change and its audit record; a handler's AppError leaves the request `failed` (with the error) and
   * nothing else changed. The requester may not decide (403 self_approval); a decided request is 409 invalid_state.
   */
  async function decide(
    approver: Pick<Operator, 'id' | 'role'>,
    id: string,
    decision: 'approve' | 'reject',
    rawNote: string,
  ): Promise<Approval> {
    const note = checkText(rawNote, 'note');
    const after: Array<() => void> = [];
    try {
      const decided = await inTransaction(db, async (trx) => {
        after.length = 0;
        const a = await lockOpen(trx, id, approver.id);
        if (decision === 'reject') return close(trx, a, approver.id, 'rejected', note, null);
        const handler = handlers.get(a.action);
        if (!handler) throw new AppError('internal_error', `no approval handler for ${a.action}`);
        const at = clock.now();
        const ctx: ApprovalContext = { approval: a, approver, at, afterCommit: (fn) => void after.push(fn) };
        const result = await handler(trx, a.payload, ctx).catch((e: unknown) => {
          throw e instanceof AppError ? new HandlerRefused(e) : e;
        });
        return close(trx, a, approver.id, 'executed', note, result ?? {});
      });
      for (const fn of after) fn();
      return decided;
    } catch (e) {
      if (!(e instanceof HandlerRefused)) throw e;
      const error = { code: e.refusal.code, message: e.refusal.message };
      return inTransaction(db, async (trx) =>
        close(trx, await lockOpen(trx, id, approver.id), approver.id, 'failed', note, { error }),
      );
    }
  }

  async function getApproval(id: string, q: Q = db): Promise<Approval> {
    const row = await q.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('not_found', `no approval ${id}`);
    return toApproval(row);
  }

  /** Newest first; `startingAfter` is an approval id. */
  async function listApprovals(f: {
    status?: ApprovalStatus;
    action?: string;
    limit: number;
    startingAfter?: string;
  }): Promise<{ data: Approval[]; hasMore: boolean }> {
    let q = db
      .selectFrom('approvals')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(f.limit + 1);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.startingAfter) q = q.where('id', '<', f.startingAfter);
    const rows = await q.execute();
    return { data: rows.slice(0, f.limit).map(toApproval), hasMore: rows.length > f.limit };
  }

  return { registerApprovalHandler, requestApproval, decide, getApproval, listApprovals };
}
export type Approvals = ReturnType<typeof createApprovals>;

/** The same as `ops.approvals.registerApprovalHandler`, for wiring code that holds only the approvals. */
export function registerApprovalHandler(approvals: Approvals, action: string, handler: ApprovalHandler): void {
  approvals.registerApprovalHandler(action, handler);
}
