import type { Selectable, Transaction } from 'kysely';
import { descriptorFor } from '../banks/index.ts';
import type { DB, WithdrawalsTable } from '../db/index.ts';
import { inTransaction } from '../db/index.ts';
import { type Yen, yen } from '../money/index.ts';
import { AppError } from '../platform/index.ts';
import { BANK_UNAVAILABLE, type BankSaga } from './bank-saga.ts';
import type { BankLink, BankLinks } from '../banks/index.ts';
import {
  isConfirmationExpired,
  nextActionFor,
  expireWaiting,
  voidWaiting as voidWaitingObject,
} from './confirmation.ts';
import {
  type AccountDirectory,
  type WalletDeps,
  assertMayMoveMoney,
  assertNoSecurityHold,
  assertPayerMayPay,
  isElevated,
  lockWallet,
} from './context.ts';
import {
  actorSignals,
  assertNotRestricted,
  assessMoney,
  bankAccountKey,
  eventOf,
  linkSignals,
  recordDecision,
  riskColumn,
  riskFromColumn,
  statusFor,
  storingDenials,
} from './risk.ts';
import type { Actor, Withdrawal } from './types.ts';

/** A write that must commit with the withdrawal's first row or not at all (the API's idempotency record). */
type WithWithdrawal = (trx: Transaction<DB>, withdrawalId: string) => Promise<void>;

/**
 * Withdrawals: wallet → the user's own linked bank account, the wallet's withdrawal account (or the previous one
 * while a new one cools off: banks/withdrawal-accounts.ts); a charge's saga mirrored (hold, bank credit, post/void).
 * The first withdrawal to a link waits for a second factor (`requires_action`) with its money already held; the
 * confirmation re-checks the payer and the link, then calls the bank. 15 minutes without one voids the hold.
 */
export function createWithdrawals(deps: WalletDeps, accounts: AccountDirectory, links: BankLinks, saga: BankSaga) {
  /** `alongside` must commit with the withdrawal's first row or not at all (the API's idempotency record). */
  async function createWithdrawal(
    actor: Actor,
    input: { bankLinkId: string; amount: Yen },
    alongside?: WithWithdrawal,
  ): Promise<Withdrawal> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    assertNoSecurityHold(actor, deps.clock.now());
    const link = await activeLink(actor.id, input.bankLinkId);
    const needsFactor =
      deps.policy.stepUp.firstWithdrawalToLink &&
      !isElevated(actor, deps.clock.now()) &&
      !(await hasWithdrawnTo(link.id));
    // A bank known to be down is refused before anything is written.
    if (!needsFactor) saga.assertBankAvailable(link.bankCode);
    const clearing = await deps.ledger.bankClearingAccount(deps.db, link.bankCode);
    const wallet = await accounts.walletAccountOf(actor.id);
    const id = deps.newId('wdr');
    let state: 'pending' | 'requires_action' | 'in_review' = 'pending';
    await storingDenials(deps.risk, deps.db, () =>
      inTransaction(deps.db, async (trx) => {
        await lockWallet(trx, actor.id);
        await alongside?.(trx, id);
        const now = deps.clock.now();
        await assertPayerMayPay(trx, actor.id, now, true);
        await assertWithdrawalAllowed(trx, actor.id, link.id, now);
        await links.assertWithdrawalTarget(trx, actor.id, link.id, now);
        // Scored before money moves: deny throws (nothing written); challenge waits for a factor like a first
        // withdrawal (unless the session holds a fresh one); review holds the money (the bank is not called) until an analyst decides.
        const spendable = (await deps.ledger.available(trx, wallet)).available;
        const scored = await assessMoney(
          deps.risk,
          eventOf(actor, {
            type: 'withdrawal',
            amount: input.amount,
            linkId: link.id,
            bankAccount: bankAccountKey(link),
          }),
          {
            ...actorSignals(actor, now),
            ...linkSignals(link, now),
            limitRatio: spendable > 0 ? input.amount / spendable : 1,
          },
        );
        const risk = scored.verdict;
        state = statusFor(risk, { needsFactor, elevated: isElevated(actor, now) }, 'pending');
        const [hold] = await deps.ledger.transfer(
          trx,
          [{ debitAccountId: wallet, creditAccountId: clearing, amount: input.amount, code: 'withdrawal', refId: id }],
          'pending',
        );
        await trx
          .insertInto('withdrawals')
          .values({
            id,
            user_id: actor.id,
            bank_link_id: link.id,
            bank_code: link.bankCode,
            amount: input.amount,
            status: state,
            failure_code: null,
            hold_id: hold?.id ?? null,
            bank_reference: id,
            bank_called_at: state === 'pending' ? now : null,
            risk: riskColumn(risk),
            created_at: now,
            updated_at: now,
          })
          .execute();
        await recordDecision(
          deps,
          trx,
          scored,
          { kind: 'withdrawal', id, userId: actor.id, amount: input.amount },
          state,
        );
      }),
    );
    if (state === 'pending') await creditBank(link, id, input.amount);
    return getWithdrawal(actor.id, id);
  }

  /**
   * A restriction in force ("withdrawals only to the charging account") refuses a withdrawal to a bank account that
   * never charged this wallet.
   */
  async function assertWithdrawalAllowed(trx: Transaction<DB>, userId: string, linkId: string, now: Date) {
    const charged = await trx
      .selectFrom('charges')
      .select('id')
      .where('user_id', '=', userId)
      .where('bank_link_id', '=', linkId)
      .where('status', 'in', ['succeeded', 'pending'])
      .limit(1)
      .executeTakeFirst();
    await assertNotRestricted(deps.risk, trx, userId, { kind: 'withdrawal', toChargingAccount: !!charged }, now);
  }

  /** Sends a `requires_action` withdrawal to the bank once the caller has confirmed a second factor. */
  async function confirmWithdrawal(actor: Actor, id: string, alongside?: WithWithdrawal): Promise<Withdrawal> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const row = await deps.db
      .selectFrom('withdrawals')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', actor.id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no withdrawal ${id}`);
    if (row.status !== 'requires_action')
      throw new AppError('invalid_state', `the withdrawal is ${row.status}`, { status: row.status });
    if (isConfirmationExpired(row.created_at, deps.clock.now())) {
      await voidWaiting(id);
      return getWithdrawal(actor.id, id);
    }
    assertNoSecurityHold(actor, deps.clock.now());
    const link = await activeLink(actor.id, row.bank_link_id);
    saga.assertBankAvailable(link.bankCode);
    await inTransaction(deps.db, async (trx) => {
      await lockWallet(trx, actor.id);
      await alongside?.(trx, id);
      const now = deps.clock.now();
      await assertPayerMayPay(trx, actor.id, now, true);
      await assertWithdrawalAllowed(trx, actor.id, link.id, now);
      // The withdrawal account may have changed since the withdrawal was asked for: where it goes is checked again.
      await links.assertWithdrawalTarget(trx, actor.id, link.id, now);
      const done = await trx
        .updateTable('withdrawals')
        .set({ status: 'pending', bank_called_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'requires_action')
        .returning('id')
        .executeTakeFirst();
      if (!done) throw new AppError('invalid_state', 'the withdrawal was confirmed or voided already');
    });
    await creditBank(link, id, yen(row.amount));
    return getWithdrawal(actor.id, id);
  }

  /**
   * Runs again a withdrawal whose bank refused the connection (`failed`, `bank_unavailable`): what a retry of its
   * Idempotency-Key does, so one key keeps one withdrawal. Nothing happened at the bank, so the same reference goes
   * out again, with the money held again. A withdrawal in any other state is returned as it is.
   */
  async function resumeWithdrawal(actor: Actor, id: string): Promise<Withdrawal> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const row = await deps.db
      .selectFrom('withdrawals')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', actor.id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no withdrawal ${id}`);
    if (row.status !== 'failed' || row.failure_code !== BANK_UNAVAILABLE) return toWithdrawal(row);
    assertNoSecurityHold(actor, deps.clock.now());
    const link = await activeLink(actor.id, row.bank_link_id);
    saga.assertBankAvailable(link.bankCode);
    const clearing = await deps.ledger.bankClearingAccount(deps.db, link.bankCode);
    const wallet = await accounts.walletAccountOf(actor.id);
    const resumed = await inTransaction(deps.db, async (trx) => {
      await lockWallet(trx, actor.id);
      const now = deps.clock.now();
      await assertPayerMayPay(trx, actor.id, now, true);
      // Only one retry wins the withdrawal back; the others answer with its state.
      if (!(await saga.reclaimAfterOutage(trx, 'withdrawals', id, now))) return false;
      const [hold] = await deps.ledger.transfer(
        trx,
        [{ debitAccountId: wallet, creditAccountId: clearing, amount: yen(row.amount), code: 'withdrawal', refId: id }],
        'pending',
      );
      await trx
        .updateTable('withdrawals')
        .set({ hold_id: hold?.id ?? null })
        .where('id', '=', id)
        .execute();
      return true;
    });
    if (resumed) await creditBank(link, id, yen(row.amount));
    return getWithdrawal(actor.id, id);
  }

  /**
   * An analyst approved a withdrawal held for review (`in_review`, its debit held, the bank not called): it goes
   * to the bank now. `alongside` commits with the release (the case's resolution and its audit record). Of
   * parallel approvals exactly one wins (the wallet's lock, then a conditional UPDATE); the others are 409.
   */
  async function releaseReviewed(id: string, alongside?: WithWithdrawal): Promise<Withdrawal> {
    const row = await deps.db.selectFrom('withdrawals').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('not_found', `no withdrawal ${id}`);
    if (row.status !== 'in_review')
      throw new AppError('invalid_state', `the withdrawal is ${row.status}`, { status: row.status });
    const link = await activeLink(row.user_id, row.bank_link_id);
    saga.assertBankAvailable(link.bankCode);
    await inTransaction(deps.db, async (trx) => {
      await lockWallet(trx, row.user_id);
      await alongside?.(trx, id);
      const now = deps.clock.now();
      // A wallet frozen meanwhile keeps its money: the freeze wins over the approval.
      await assertPayerMayPay(trx, row.user_id, now, false);
      const done = await trx
        .updateTable('withdrawals')
        .set({ status: 'pending', bank_called_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'in_review')
        .returning('id')
        .executeTakeFirst();
      if (!done) throw new AppError('invalid_state', 'the withdrawal was approved or rejected already');
    });
    await creditBank(link, id, yen(row.amount));
    return getWithdrawal(row.user_id, id);
  }

  async function activeLink(userId: string, linkId: string): Promise<BankLink> {
    const link = await links.getLink(userId, linkId);
    if (link.status === 'relink_required')
      throw new AppError('link_not_active', 'this bank link must be linked again before money can go to it', {
        status: link.status,
      });
    if (link.status !== 'active')
      throw new AppError('link_not_active', `bank link is ${link.status}`, { status: link.status });
    return link;
  }

  async function creditBank(link: BankLink, id: string, amount: Yen): Promise<void> {
    const account = {
      bankCode: link.bankCode,
      branchCode: link.branchCode,
      accountType: link.accountType,
      accountNumber: link.accountNumber,
    };
    await saga.callBank('withdrawals', id, link.bankCode, () =>
      deps.bank.credit({ account, amount, reference: id, descriptor: descriptorFor(id) }),
    );
  }

  async function hasWithdrawnTo(linkId: string): Promise<boolean> {
    const r = await deps.db
      .selectFrom('withdrawals')
      .select('id')
      .where('bank_link_id', '=', linkId)
      .where('status', '=', 'succeeded')
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  const voidWaiting = (id: string) => voidWaitingObject(deps, 'withdrawals', id);
  /** The periodic job: voids objects of this kind left unconfirmed for 15 minutes. */
  const expireUnconfirmed = (batch = 100) => expireWaiting(deps, 'withdrawals', batch);

  async function getWithdrawal(userId: string, id: string): Promise<Withdrawal> {
    const row = await deps.db
      .selectFrom('withdrawals')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no withdrawal ${id}`);
    return toWithdrawal(row);
  }

  return {
    createWithdrawal,
    confirmWithdrawal,
    resumeWithdrawal,
    releaseReviewed,
    getWithdrawal,
    expireUnconfirmed,
  };
}
export type Withdrawals = ReturnType<typeof createWithdrawals>;

export function toWithdrawal(r: Selectable<WithdrawalsTable>): Withdrawal {
  return {
    id: r.id,
    object: 'withdrawal',
    status: r.status,
    amount: yen(r.amount),
    bankLinkId: r.bank_link_id,
    ...(r.failure_code ? { failureCode: r.failure_code } : {}),
    risk: riskFromColumn(r.risk),
    ...(r.status === 'requires_action' ? { nextAction: nextActionFor('withdrawals', r.id) } : {}),
    createdAt: new Date(r.created_at).toISOString(),
  };
}
