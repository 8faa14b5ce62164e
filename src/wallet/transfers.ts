import { inTransaction } from '../ledger/index.ts';
import { type Yen, yen } from '../money/index.ts';
import { normalizePhone } from '../notify/index.ts';
import { AppError } from '../platform/index.ts';
import { type AccountDirectory, type WalletDeps, assertElevated, assertMayMoveMoney, lockWallet } from './context.ts';
import type { Actor, WalletTransfer } from './types.ts';

/** Wallet-to-wallet transfers. */
export function createTransfers(deps: WalletDeps, accounts: AccountDirectory) {
  async function createTransfer(actor: Actor, input: { to: { userId: string } | { phone: string }; amount: Yen; message?: string }): Promise<WalletTransfer> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const recipient = await findRecipient(input.to);
    if (recipient.id === actor.id) throw new AppError('self_transfer', 'you cannot send money to yourself');
    if (input.amount >= deps.policy.stepUp.transfersFrom) assertElevated(actor, deps.clock.now(), `a transfer of ${deps.policy.stepUp.transfersFrom} yen or more is a sensitive action`);
    if (recipient.verification !== 'verified' && input.amount > deps.policy.unverifiedReceiveCap) {
      throw new AppError('limit_exceeded', 'the recipient is not identity-verified and cannot receive this much', { limit: 'recipient_unverified', limitAmount: deps.policy.unverifiedReceiveCap });
    }
    const [from, to] = [await accounts.walletAccountOf(actor.id), await accounts.walletAccountOf(recipient.id)];
    const id = deps.newId('trf');
    const now = deps.clock.now();
    await inTransaction(deps.db, async (trx) => {
      // The recipient's balance cap is a credit-side rule, so the recipient's wallet is locked like a charge's.
      await lockWallet(trx, recipient.id);
      const held = await deps.ledger.available(trx, to);
      const room = deps.policy.balanceCap - held.available - held.pendingIncoming;
      if (input.amount > room) throw new AppError('limit_exceeded', 'the recipient’s wallet cannot hold this much', { limit: 'recipient_balance_cap', limitAmount: deps.policy.balanceCap, remaining: Math.max(0, room) });
      const [t] = await deps.ledger.transfer(trx, [{ debitAccountId: from, creditAccountId: to, amount: input.amount, code: 'transfer', refId: id }]);
      await trx.insertInto('wallet_transfers').values({ id, from_user_id: actor.id, to_user_id: recipient.id, amount: input.amount, status: 'succeeded', message: input.message ?? null, transfer_id: t!.id, created_at: now }).execute();
    });
    return { id, object: 'transfer', status: 'succeeded', amount: yen(input.amount), from: { userId: actor.id }, to: { userId: recipient.id }, ...(input.message ? { message: input.message } : {}), createdAt: now.toISOString() };
  }

  async function findRecipient(to: { userId: string } | { phone: string }) {
    let q = deps.db.selectFrom('users').select(['id', 'verification', 'phone_confirmed_at']);
    q = 'userId' in to ? q.where('id', '=', to.userId) : q.where('phone', '=', normalizePhone(to.phone));
    const r = await q.executeTakeFirst();
    if (!r || r.phone_confirmed_at === null) throw new AppError('unknown_recipient', 'no wallet can receive money at that address');
    return r;
  }

  return { createTransfer };
}
export type Transfers = ReturnType<typeof createTransfers>;
