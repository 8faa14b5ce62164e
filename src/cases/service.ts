import type { Kysely, Transaction } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import type { ReviewKind, ReviewOutcome, WithDecision } from '../wallet/index.ts';
import type { LinkDecision, LinkReviewOutcome } from './types.ts';
import { checkNote, createCaseActions } from './actions.ts';
import { type AddToList, labelCase, spreadFraud } from './feedback.ts';
import * as repo from './repository.ts';
import { reviewView } from './review.ts';
import {
  CASE_TRANSITIONS,
  type CaseKind,
  type CaseStatus,
  type CaseView,
  type RiskReviewView,
  type UnauthorizedReport,
} from './types.ts';

type BankAccount = { bankCode: string; branchCode: string; accountNumber: string };

/** What "this wasn't me" asks of the areas that own the rows it touches, each inside the one transaction. */
export interface CaseDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  /**
   * banks: freeze every link to the account (a pending authorization fails), or only the one named; the links and
   * their users.
   */
  freezeAccountLinks: (
    trx: Transaction<DB>,
    account: BankAccount,
    onlyLinkId?: string,
  ) => Promise<{ linkIds: string[]; userIds: string[] }>;
  /** wallet: the link a charge debited (a holder reports a debit by its statement reference). */
  linkOfCharge: (trx: Transaction<DB>, chargeId: string) => Promise<string | undefined>;
  /** wallet: charges on those links not yet final are held for review (their ledger holds stay pending). */
  holdChargesForReview: (trx: Transaction<DB>, linkIds: string[], at: Date) => Promise<string[]>;
  /** identity: the wallets' outgoing money is frozen. */
  freezeUsers: (trx: Transaction<DB>, userIds: string[], at: Date) => Promise<void>;
  /** identity: an analyst lifts a freeze. */
  unfreezeUsers: (trx: Transaction<DB>, userIds: string[]) => Promise<void>;
  /** wallet: an analyst's decision on an object held for review; `alongside` commits with the decision. */
  approveReview: (kind: ReviewKind, id: string, alongside: WithDecision) => Promise<ReviewOutcome>;
  rejectReview: (kind: ReviewKind, id: string, alongside: WithDecision) => Promise<ReviewOutcome>;
  /** banks: a link held for review (name match in the review band, a risk review at linking) made active / failed. */
  approveLinkReview: (linkId: string, operatorId: string, alongside: LinkDecision) => Promise<LinkReviewOutcome>;
  rejectLinkReview: (linkId: string, operatorId: string, alongside: LinkDecision) => Promise<LinkReviewOutcome>;
  /** risk: block and watch list entries, in the caller's transaction (audited by risk). */
  addToList: AddToList;
  /** ops: the audit chain (operator actions on cases are audited in the same transaction). */
  audit: (
    trx: Transaction<DB>,
    e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
  ) => Promise<unknown>;
  /** Told after the commit (identity drops cached sessions of frozen users). */
  onUsersFrozen?: (userIds: string[]) => void;
  /** Told after the commit (identity drops cached sessions of unfrozen users). */
  onUsersUnfrozen?: (userIds: string[]) => void;
  /**
   * ops: four-eyes. When wired, unfreezing a wallet frozen by an unauthorized report is only asked for here (the
   * approval's id comes back); a second operator's approval runs `unfreezeApproved`.
   */
  requestApproval?: (
    trx: Transaction<DB>,
    req: { action: string; target: string; payload: Record<string, unknown>; requestedBy: string; reason: string },
  ) => Promise<{ id: string }>;
}

/** Who labels and spreads a holder's report (the audit actor of its watch entries). */
const HOLDER_REPORT = 'holder_report';

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
   * outgoing money is frozen, and a case is opened with everything that was touched. The report is a fraud label:
   * the wallets' stored events are labelled `fraud` and the label spreads one hop (the wallets, the account, their
   * devices, IPs and payees go on the watch list).
   *
   * With `reference` (what the bank's notice or statement line showed: a link id, or the reference of a debit)
   * the report is about that one link: it alone is frozen, with its wallet (a failed attempt's too: that wallet
   * tried to link someone else's account), and the holder's own link and wallet stay as they were. A reference
   * that names nothing on this account is refused (404 not_found) and changes nothing.
   */
  async function reportUnauthorized(account: BankAccount, reference?: string): Promise<UnauthorizedReport> {
    const report = await inTransaction(db, async (trx) => {
      const now = clock.now();
      const only = reference === undefined ? undefined : ((await deps.linkOfCharge(trx, reference)) ?? reference);
      const { linkIds, userIds } = await deps.freezeAccountLinks(trx, account, only);
      if (reference !== undefined && linkIds.length === 0)
        throw new AppError('not_found', `no link or debit ${reference} on this account`);
      const heldCharges = linkIds.length === 0 ? [] : await deps.holdChargesForReview(trx, linkIds, now);
      if (userIds.length > 0) await deps.freezeUsers(trx, userIds, now);
      const touched = { frozenLinks: linkIds, frozenWallets: userIds, heldCharges };
      const caseId = await openCase(
        'unauthorized_report',
        account,
        reference === undefined ? touched : { ...touched, reference },
        trx,
      );
      await labelCase(trx, { userIds, objectIds: heldCharges }, 'fraud', HOLDER_REPORT, now);
      const bankAccounts = [`${account.bankCode}-${account.branchCode}-${account.accountNumber}`];
      await spreadFraud(deps.addToList, trx, { caseId, actor: HOLDER_REPORT, userIds, bankAccounts, now });
      return { caseId, ...touched };
    });
    deps.onUsersFrozen?.(report.frozenWallets);
    return report;
  }

  /** Newest first, filtered by kind, status, assignee, the wallet it is about (userId) and the risk decision. */
  async function listCases(filter: repo.CaseFilter) {
    return repo.casesPage(db, filter);
  }

  /**
   * One case with its history; viewing it is an audited operator action (it shows a victim's data). A risk review
   * shows its evidence too: the object's stored events and related events (same device, IP, bank account, payee).
   */
  async function viewCase(
    operatorId: string,
    id: string,
    bankCode?: string,
  ): Promise<CaseView & { events: Awaited<ReturnType<typeof repo.eventsOf>>; review?: RiskReviewView }> {
    return inTransaction(db, async (trx) => {
      const found = await repo.findCase(trx, id);
      if (!found) throw new AppError('not_found', `no case ${id}`);
      // A bank operator (bankCode: its scope) sees only cases involving its own bank.
      if (bankCode !== undefined && !(await repo.caseInBank(trx, id, bankCode)))
        throw new AppError('operator_forbidden', 'a bank operator sees only its own bank’s cases', { bankCode });
      await deps.audit(trx, { actor: operatorId, action: 'case.view', target: id });
      const review = await reviewView(trx, found);
      return { ...found, events: await repo.eventsOf(trx, id), ...(review ? { review } : {}) };
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
    const note = checkNote(change.note);
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

  const { act, unfreezeApproved } = createCaseActions(deps);
  return { openCase, reportUnauthorized, listCases, viewCase, updateCase, act, unfreezeApproved };
}
export type Cases = ReturnType<typeof createCases>;
