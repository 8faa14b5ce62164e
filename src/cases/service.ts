import type { Kysely, Transaction } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import * as repo from './repository.ts';
import { CASE_TRANSITIONS, type CaseKind, type CaseStatus, type CaseView, type UnauthorizedReport } from './types.ts';

type BankAccount = { bankCode: string; branchCode: string; accountNumber: string };

/** What "this wasn't me" asks of the areas that own the rows it touches, each inside the one transaction. */
export interface CaseDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  /** banks: freeze every link to the account (a pending authorization fails); the links and their users. */
  freezeAccountLinks: (trx: Transaction<DB>, account: BankAccount) => Promise<{ linkIds: string[]; userIds: string[] }>;
  /** wallet: charges on those links not yet final are held for review (their ledger holds stay pending). */
  holdChargesForReview: (trx: Transaction<DB>, linkIds: string[], at: Date) => Promise<string[]>;
  /** identity: the wallets' outgoing money is frozen. */
  freezeUsers: (trx: Transaction<DB>, userIds: string[], at: Date) => Promise<void>;
  /** ops: the audit chain (operator actions on cases are audited in the same transaction). */
  audit: (
    trx: Transaction<DB>,
    e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
  ) => Promise<unknown>;
  /** Told after the commit (identity drops cached sessions of frozen users). */
  onUsersFrozen?: (userIds: string[]) => void;
}

const MAX_NOTE = 1000;

/** Cases: opened by holders' reports and security detections (and, next, risk reviews); worked by operators. */
export function createCases(deps: CaseDeps) {
  const { db, clock } = deps;

  async function openCase(
    kind: CaseKind,
    account: BankAccount | undefined,
    details: Record<string, unknown>,
    trx?: Transaction<DB>,
  ): Promise<string> {
    const id = deps.newId('case');
    await repo.insertCase(trx ?? db, { id, kind, account, details, at: clock.now() });
    return id;
  }

  /**
   * "This wasn't me": the holder tells their bank a link or debit was not theirs. At once, in one transaction:
   * every link to the account is frozen, charges not yet final on those links are held for review, the wallets'
   * outgoing money is frozen, and a case is opened with everything that was touched.
   */
  async function reportUnauthorized(account: BankAccount): Promise<UnauthorizedReport> {
    const report = await inTransaction(db, async (trx) => {
      const now = clock.now();
      const { linkIds, userIds } = await deps.freezeAccountLinks(trx, account);
      const heldCharges = linkIds.length === 0 ? [] : await deps.holdChargesForReview(trx, linkIds, now);
      if (userIds.length > 0) await deps.freezeUsers(trx, userIds, now);
      const touched = { frozenLinks: linkIds, frozenWallets: userIds, heldCharges };
      const caseId = await openCase('unauthorized_report', account, touched, trx);
      return { caseId, ...touched };
    });
    deps.onUsersFrozen?.(report.frozenWallets);
    return report;
  }

  async function listCases(filter: {
    kind?: string;
    status?: string;
    assignee?: string;
    limit: number;
    startingAfter?: string;
  }) {
    return repo.casesPage(db, filter);
  }

  /** One case with its history; viewing it is an audited operator action (it shows a victim's data). */
  async function viewCase(
    operatorId: string,
    id: string,
  ): Promise<CaseView & { events: Awaited<ReturnType<typeof repo.eventsOf>> }> {
    return inTransaction(db, async (trx) => {
      const found = await repo.findCase(trx, id);
      if (!found) throw new AppError('not_found', `no case ${id}`);
      await deps.audit(trx, { actor: operatorId, action: 'case.view', target: id });
      return { ...found, events: await repo.eventsOf(trx, id) };
    });
  }

  /**
   * Moves a case (and/or assigns it), with a note: the move, its event and the audit record are one
   * transaction, and a move that is not allowed from the current status is refused (409 invalid_state).
   */
  async function updateCase(
    operatorId: string,
    id: string,
    change: { status?: CaseStatus; assignee?: string | null; note: string },
  ): Promise<CaseView> {
    const note = change.note.trim();
    if (!note) throw new AppError('reason_required', 'say why (note)');
    if (note.length > MAX_NOTE)
      throw new AppError('invalid_request', `the note is at most ${MAX_NOTE} characters`, { field: 'note' });
    return inTransaction(db, async (trx) => {
      const current = await repo.findCase(trx, id, true);
      if (!current) throw new AppError('not_found', `no case ${id}`);
      const to = change.status ?? current.status;
      if (to !== current.status && !CASE_TRANSITIONS[current.status].includes(to))
        throw new AppError('invalid_state', `a ${current.status} case cannot become ${to}`, { status: current.status });
      const assignee = change.assignee === undefined ? current.assignee : change.assignee;
      const at = clock.now();
      if (!(await repo.moveCase(trx, id, current.status, to, assignee, at)))
        throw new AppError('invalid_state', 'the case changed meanwhile: reload it');
      await repo.insertEvent(trx, {
        id: deps.newId('cev'),
        caseId: id,
        actor: operatorId,
        from: current.status,
        to,
        assignee,
        note,
        at,
      });
      await deps.audit(trx, {
        actor: operatorId,
        action: 'case.update',
        target: id,
        details: { from: current.status, to, assignee, note },
      });
      const updated = await repo.findCase(trx, id);
      if (!updated) throw new AppError('internal_error', `case ${id} vanished inside its own transaction`);
      return updated;
    });
  }

  return { openCase, reportUnauthorized, listCases, viewCase, updateCase };
}
export type Cases = ReturnType<typeof createCases>;
