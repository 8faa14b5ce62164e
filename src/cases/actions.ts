import type { Transaction } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import { labelCase, spreadFraud } from './feedback.ts';
import * as repo from './repository.ts';
import { caseBankAccounts, caseObjects, caseUsers, caseValue, reviewTarget } from './review.ts';
import type { CaseDeps } from './service.ts';
import {
  CASE_TRANSITIONS,
  type CaseAction,
  type CaseActionInput,
  type CaseActionResult,
  type CaseView,
  UNFREEZE_APPROVAL,
} from './types.ts';

export const MAX_NOTE = 1000;

/** Every operator step on a case says why, in 1–1000 characters. */
export function checkNote(raw: string): string {
  const note = raw.trim();
  if (!note) throw new AppError('reason_required', 'say why (note)');
  if (note.length > MAX_NOTE)
    throw new AppError('invalid_request', `the note is at most ${MAX_NOTE} characters`, { field: 'note' });
  return note;
}

/**
 * Analyst actions on a case. Each is one transaction holding the change, a case event (the note, prefixed by the
 * action) and an audit record (`case.<action>`); approve and reject resolve the case, in the wallet's transaction
 * that posts or voids the money (the bank, for charges and withdrawals, is called after it commits).
 */
export function createCaseActions(deps: CaseDeps) {
  const { db, clock } = deps;

  /** The case event and audit record of an action (the case locked first), resolving the case if asked. */
  async function record(
    trx: Transaction<DB>,
    operatorId: string,
    id: string,
    a: { action: CaseAction; note: string; resolve: boolean; details: Record<string, unknown> },
  ): Promise<void> {
    const current = await repo.findCase(trx, id, true);
    if (!current) throw new AppError('not_found', `no case ${id}`);
    const to = a.resolve ? 'resolved' : current.status;
    if (a.resolve && !CASE_TRANSITIONS[current.status].includes(to))
      throw new AppError('invalid_state', `a ${current.status} case cannot be resolved`, { status: current.status });
    const at = clock.now();
    if (!(await repo.moveCase(trx, id, current.status, to, current.assignee, at)))
      throw new AppError('invalid_state', 'the case changed meanwhile: reload it');
    await repo.insertEvent(trx, {
      id: deps.newId('cev'),
      caseId: id,
      actor: operatorId,
      from: current.status,
      to,
      assignee: current.assignee,
      note: `${a.action}: ${a.note}`,
      at,
    });
    await deps.audit(trx, {
      actor: operatorId,
      action: `case.${a.action}`,
      target: id,
      details: { note: a.note, from: current.status, to, ...a.details },
    });
  }

  async function act(operatorId: string, id: string, input: CaseActionInput): Promise<CaseActionResult> {
    const note = checkNote(input.note);
    const c = await repo.findCase(db, id);
    if (!c) throw new AppError('not_found', `no case ${id}`);
    const step = { action: input.action, note };
    let result: Omit<CaseActionResult, 'case'>;
    switch (input.action) {
      case 'approve':
      case 'reject': {
        const target = reviewTarget(c);
        if (!target)
          throw new AppError(
            'invalid_state',
            'only a risk review holds a money object or bank link to approve or reject',
            {
              kind: c.kind,
            },
          );
        const recordDecision = (trx: Transaction<DB>) =>
          record(trx, operatorId, id, {
            ...step,
            resolve: true,
            details: { object: target.kind, objectId: target.id },
          });
        if (target.kind === 'bank_link') {
          const decideLink = input.action === 'approve' ? deps.approveLinkReview : deps.rejectLinkReview;
          result = { action: input.action, object: await decideLink(target.id, operatorId, recordDecision) };
          break;
        }
        const decide = input.action === 'approve' ? deps.approveReview : deps.rejectReview;
        const object = await decide(target.kind, target.id, recordDecision);
        result = { action: input.action, object };
        break;
      }
      case 'unfreeze_wallet':
        // Four-eyes: a wallet frozen by the holder's report is unfrozen only on a second operator's approval.
        result =
          c.kind === 'unauthorized_report' && deps.requestApproval
            ? await askToUnfreeze(operatorId, c, note)
            : await freezing(operatorId, c, input.action, note);
        break;
      case 'freeze_wallet':
        result = await freezing(operatorId, c, input.action, note);
        break;
      case 'block':
        result = await block(operatorId, c, input, note);
        break;
      case 'label':
        result = await label(operatorId, c, input, note);
        break;
    }
    const updated = await repo.findCase(db, id);
    if (!updated) throw new AppError('internal_error', `case ${id} vanished`);
    return { ...result, case: updated };
  }

  async function freezing(operatorId: string, c: CaseView, action: 'freeze_wallet' | 'unfreeze_wallet', note: string) {
    const users = caseUsers(c);
    if (users.length === 0) throw new AppError('invalid_state', 'this case names no wallet');
    await inTransaction(db, async (trx) => {
      await record(trx, operatorId, c.id, { action, note, resolve: false, details: { userIds: users } });
      if (action === 'freeze_wallet') await deps.freezeUsers(trx, users, clock.now());
      else await deps.unfreezeUsers(trx, users);
    });
    // Sessions cached in this process forget the user at once (another process within a second).
    if (action === 'freeze_wallet') {
      deps.onUsersFrozen?.(users);
      return { action, frozenWallets: users };
    }
    deps.onUsersUnfrozen?.(users);
    return { action, unfrozenWallets: users };
  }

  /** The request (and a case event saying so); nothing is unfrozen until another operator approves it. */
  async function askToUnfreeze(operatorId: string, c: CaseView, note: string) {
    const request = deps.requestApproval;
    if (!request) throw new AppError('internal_error', 'four-eyes approvals are not wired');
    const users = caseUsers(c);
    if (users.length === 0) throw new AppError('invalid_state', 'this case names no wallet');
    const approval = await inTransaction(db, async (trx) => {
      const current = await repo.findCase(trx, c.id, true);
      if (!current) throw new AppError('not_found', `no case ${c.id}`);
      const a = await request(trx, {
        action: UNFREEZE_APPROVAL,
        target: c.id,
        payload: { caseId: c.id, userIds: users, note },
        requestedBy: operatorId,
        reason: note,
      });
      await repo.insertEvent(trx, {
        id: deps.newId('cev'),
        caseId: c.id,
        actor: operatorId,
        from: current.status,
        to: current.status,
        assignee: current.assignee,
        note: `unfreeze_wallet requested (approval ${a.id}): ${note}`,
        at: clock.now(),
      });
      return a;
    });
    return { action: 'unfreeze_wallet' as const, approvalId: approval.id };
  }

  /**
   * The approved unfreeze, in the approval's transaction: the case event and audit record name the approver and
   * the approval. Returns the wallets unfrozen; `afterCommit` lets the caller drop their cached sessions.
   */
  async function unfreezeApproved(
    trx: Transaction<DB>,
    approverId: string,
    p: { caseId: string; approvalId: string; requestedBy: string; note: string },
    afterCommit: (fn: () => void) => void,
  ): Promise<{ unfrozenWallets: string[] }> {
    const c = await repo.findCase(trx, p.caseId, true);
    if (!c) throw new AppError('not_found', `no case ${p.caseId}`);
    const users = caseUsers(c);
    if (users.length === 0) throw new AppError('invalid_state', 'this case names no wallet');
    await record(trx, approverId, c.id, {
      action: 'unfreeze_wallet',
      note: p.note,
      resolve: false,
      details: { userIds: users, approvalId: p.approvalId, requestedBy: p.requestedBy },
    });
    await deps.unfreezeUsers(trx, users);
    afterCommit(() => deps.onUsersUnfrozen?.(users));
    return { unfrozenWallets: users };
  }

  async function block(operatorId: string, c: CaseView, input: CaseActionInput, note: string) {
    const b = input.block;
    if (!b) throw new AppError('invalid_request', 'block: {kind, value?, expiresAt?} is required', { field: 'block' });
    const entry = await inTransaction(db, async (trx) => {
      const value = b.value ?? (await caseValue(trx, c, b.kind));
      await record(trx, operatorId, c.id, {
        action: 'block',
        note,
        resolve: false,
        details: { kind: b.kind, value, expiresAt: b.expiresAt?.toISOString() ?? null },
      });
      const reason = `case ${c.id}: ${note}`.slice(0, 1000);
      return deps.addToList(
        operatorId,
        { list: 'block', kind: b.kind, value, reason, expiresAt: b.expiresAt ?? null },
        trx,
      );
    });
    return { action: 'block' as const, listEntries: [entry] };
  }

  async function label(operatorId: string, c: CaseView, input: CaseActionInput, note: string) {
    const l = input.label;
    if (!l) throw new AppError('invalid_request', 'label: "fraud" or "not_fraud" is required', { field: 'label' });
    const target = { userIds: caseUsers(c), objectIds: caseObjects(c) };
    return inTransaction(db, async (trx) => {
      await record(trx, operatorId, c.id, { action: 'label', note, resolve: false, details: { label: l, ...target } });
      const now = clock.now();
      const labelled = await labelCase(trx, target, l, operatorId, now);
      const listEntries =
        l === 'fraud'
          ? await spreadFraud(deps.addToList, trx, {
              caseId: c.id,
              actor: operatorId,
              userIds: target.userIds,
              bankAccounts: await caseBankAccounts(trx, c),
              now,
            })
          : [];
      return { action: 'label' as const, labelled, listEntries };
    });
  }

  return { act, unfreezeApproved };
}
