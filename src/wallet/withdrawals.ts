import type { Selectable } from 'kysely';
import { descriptorFor } from '../banks/gateway.ts';
import type { WithdrawalsTable } from '../db/index.ts';
import { inTransaction } from '../ledger/index.ts';
import { type Yen, yen } from '../money/index.ts';
import { AppError } from '../platform/index.ts';
import type { BankSaga } from './bank-saga.ts';
import type { BankLinks } from './bank-links.ts';
import { type AccountDirectory, type WalletDeps, assertElevated, assertMayMoveMoney, lockWallet } from './context.ts';
import type { Actor, Withdrawal } from './types.ts';

/** Withdrawals: wallet → the user's own linked bank account; a charge's saga mirrored (hold, bank credit, post/void). */
export function createWithdrawals(deps: WalletDeps, accounts: AccountDirectory, links: BankLinks, saga: BankSaga) {
  async function createWithdrawal(actor: Actor, input: { bankLinkId: string; amount: Yen }): Promise<Withdrawal> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const link = await links.getLink(actor.id, input.bankLinkId);
    if (link.status !== 'active') throw new AppError('link_not_active', `bank link is ${link.status}`, { status: link.status });
    if (deps.policy.stepUp.firstWithdrawalToLink && !(await hasWithdrawnTo(link.id))) assertElevated(actor, deps.clock.now(), 'the first withdrawal to a bank account is a sensitive action');
    const clearing = await deps.ledger.bankClearingAccount(deps.db, link.bankCode);
    const wallet = await accounts.walletAccountOf(actor.id);
    const id = deps.newId('wdr');
    await inTransaction(deps.db, async (trx) => {
      await lockWallet(trx, actor.id);
      const [hold] = await deps.ledger.transfer(trx, [{ debitAccountId: wallet, creditAccountId: clearing, amount: input.amount, code: 'withdrawal', refId: id }], 'pending');
      const now = deps.clock.now();
      await trx
        .insertInto('withdrawals')
        .values({ id, user_id: actor.id, bank_link_id: link.id, bank_code: link.bankCode, amount: input.amount, status: 'pending', failure_code: null, hold_id: hold?.id ?? null, bank_reference: id, bank_called_at: now, created_at: now, updated_at: now })
        .execute();
    });
    const account = { bankCode: link.bankCode, branchCode: link.branchCode, accountType: link.accountType, accountNumber: link.accountNumber };
    await saga.callBank('withdrawals', id, () => deps.bank.credit({ account, amount: input.amount, reference: id, descriptor: descriptorFor(id) }));
    return getWithdrawal(actor.id, id);
  }

  async function hasWithdrawnTo(linkId: string): Promise<boolean> {
    const r = await deps.db.selectFrom('withdrawals').select('id').where('bank_link_id', '=', linkId).where('status', '=', 'succeeded').limit(1).executeTakeFirst();
    return r !== undefined;
  }

  async function getWithdrawal(userId: string, id: string): Promise<Withdrawal> {
    const row = await deps.db.selectFrom('withdrawals').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw new AppError('not_found', `no withdrawal ${id}`);
    return toWithdrawal(row);
  }

  return { createWithdrawal, getWithdrawal };
}
export type Withdrawals = ReturnType<typeof createWithdrawals>;

export function toWithdrawal(r: Selectable<WithdrawalsTable>): Withdrawal {
  return { id: r.id, object: 'withdrawal', status: r.status, amount: yen(r.amount), bankLinkId: r.bank_link_id, ...(r.failure_code ? { failureCode: r.failure_code } : {}), createdAt: new Date(r.created_at).toISOString() };
}
