import { type Selectable, type Transaction, sql } from 'kysely';
import { type AttemptCounter, type Ticket, counterKey, createAttemptCounter } from '../attempts/index.ts';
import type { DB, WalletTransfersTable } from '../db/index.ts';
import { inTransaction } from '../db/index.ts';
import { type Yen, addTokyoDays, tokyoDayStart, yen } from '../money/index.ts';
import { normalizePhone } from '../notify/index.ts';
import { AppError } from '../platform/index.ts';
import {
  confirmationCutoff,
  isConfirmationExpired,
  nextActionFor,
  walletHolding,
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
  lockWallets,
} from './context.ts';
import {
  actorSignals,
  assertNotRestricted,
  assessMoney,
  eventOf,
  recordDecision,
  riskColumn,
  riskFromColumn,
  statusFor,
  storingDenials,
} from './risk.ts';
import type { Actor, WalletTransfer } from './types.ts';

/** Recipient lookups that did not move money, per sender and Asia/Tokyo day: beyond this, 429. */
export const FAILED_LOOKUPS_PER_DAY = 10;

/** Every recipient that cannot receive gets this one answer, so a failed transfer says nothing about a phone. */
const unavailable = () =>
  new AppError(
    'recipient_unavailable',
    'this transfer cannot be delivered: check the phone number or user id with the person you are paying (they need a Saifu wallet able to receive this amount)',
  );

type TransferTo = { userId: string } | { phone: string };

/** A write that must commit with the transfer or not at all (the API's idempotency record). */
type WithTransfer = (trx: Transaction<DB>, transferId: string) => Promise<void>;

/**
 * Wallet-to-wallet transfers. Transfers adding up to the day's threshold (Asia/Tokyo, counted under the payer's
 * wallet lock) wait for a second factor (`requires_action`) with their money held as a pending ledger transfer
 * into the recipient's wallet, which also holds the recipient's headroom. Confirm posts it; 15 minutes without
 * a confirmation voids it.
 */
export function createTransfers(
  deps: WalletDeps,
  accounts: AccountDirectory,
  attempts: AttemptCounter = createAttemptCounter(deps),
) {
  async function createTransfer(
    actor: Actor,
    input: { to: TransferTo; amount: Yen; message?: string },
    alongside?: WithTransfer,
  ): Promise<WalletTransfer> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    assertNoSecurityHold(actor, deps.clock.now());
    // Refusals that do not depend on the recipient come first: after the lookup, every refusal looks the same.
    if (input.amount > deps.policy.balanceCap)
      throw new AppError('limit_exceeded', 'no wallet can hold this much', {
        limit: 'balance_cap',
        limitAmount: deps.policy.balanceCap,
      });
    if ('userId' in input.to && input.to.userId === actor.id)
      throw new AppError('self_transfer', 'you cannot send money to yourself');
    const from = await accounts.walletAccountOf(actor.id);
    const spendable = (await deps.ledger.available(deps.db, from)).available;
    if (input.amount > spendable)
      throw new AppError('insufficient_funds', 'the wallet does not hold enough money for this transfer');

    const ticket = 'phone' in input.to ? await consumeLookup(actor.id) : undefined;
    let moved = false;
    try {
      const recipient = await findRecipient(input.to, input.amount);
      if (recipient.id === actor.id) throw new AppError('self_transfer', 'you cannot send money to yourself');
      const to = await accounts.walletAccountOf(recipient.id);
      const id = deps.newId('trf');
      const status = await storingDenials(deps.risk, deps.db, () =>
        inTransaction(deps.db, async (trx) => {
          // The payer's lock serialises the day's sum; the recipient's, its balance cap (a credit-side rule).
          await lockWallets(trx, [actor.id, recipient.id]);
          await alongside?.(trx, id);
          const now = deps.clock.now();
          await assertPayerMayPay(trx, actor.id, now, true);
          await assertNotRestricted(deps.risk, trx, actor.id, { kind: 'transfer' }, now);
          if (input.amount > deps.policy.balanceCap - (await walletHolding(deps, trx, recipient.id, to)))
            throw unavailable();
          const needsFactor =
            !isElevated(actor, now) &&
            (await sentToday(trx, actor.id, now)) + input.amount >= deps.policy.stepUp.transfersFrom;
          // Scored before money moves: deny throws (nothing written); challenge waits for a factor (unless the
          // session holds a fresh one); review holds the money as a pending transfer until an analyst decides.
          const scored = await assessMoney(
            deps.risk,
            eventOf(actor, {
              type: 'transfer',
              amount: input.amount,
              recipientId: recipient.id,
              recipientKind: 'person',
            }),
            { ...actorSignals(actor, now), limitRatio: spendable > 0 ? input.amount / spendable : 1 },
          );
          const risk = scored.verdict;
          const state = statusFor(risk, { needsFactor, elevated: isElevated(actor, now) }, 'succeeded');
          const [t] = await deps.ledger.transfer(
            trx,
            [{ debitAccountId: from, creditAccountId: to, amount: input.amount, code: 'transfer', refId: id }],
            state === 'succeeded' ? 'single' : 'pending',
          );
          await trx
            .insertInto('wallet_transfers')
            .values({
              id,
              from_user_id: actor.id,
              to_user_id: recipient.id,
              amount: input.amount,
              status: state,
              message: input.message ?? null,
              transfer_id: t!.id,
              risk: riskColumn(risk),
              created_at: now,
            })
            .execute();
          await recordDecision(
            deps,
            trx,
            scored,
            { kind: 'transfer', id, userId: actor.id, amount: input.amount },
            state,
          );
          return state;
        }),
      );
      moved = status === 'succeeded';
      return await getTransfer(actor.id, id);
    } finally {
      // Only a lookup that moved money is given back: a waiting transfer (which would tell that the phone exists)
      // and every refusal stay counted.
      await (moved ? ticket?.succeeded() : ticket?.failed());
    }
  }

  /** Posts a `requires_action` transfer once the caller has confirmed a second factor, re-checking what held at creation. */
  async function confirmTransfer(actor: Actor, id: string, alongside?: WithTransfer): Promise<WalletTransfer> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const row = await deps.db
      .selectFrom('wallet_transfers')
      .selectAll()
      .where('id', '=', id)
      .where('from_user_id', '=', actor.id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no transfer ${id}`);
    if (row.status !== 'requires_action')
      throw new AppError('invalid_state', `the transfer is ${row.status}`, { status: row.status });
    if (isConfirmationExpired(row.created_at, deps.clock.now())) {
      await voidWaiting(id);
      return getTransfer(actor.id, id);
    }
    assertNoSecurityHold(actor, deps.clock.now());
    await inTransaction(deps.db, async (trx) => {
      await lockWallets(trx, [row.from_user_id, row.to_user_id]);
      await alongside?.(trx, id);
      await assertPayerMayPay(trx, actor.id, deps.clock.now(), true);
      await assertNotRestricted(deps.risk, trx, actor.id, { kind: 'transfer' }, deps.clock.now());
      // The recipient's cap is held by the pending credit; whether they may still receive is checked again.
      await recipientById(trx, row.to_user_id, yen(row.amount));
      const done = await trx
        .updateTable('wallet_transfers')
        .set({ status: 'succeeded' })
        .where('id', '=', id)
        .where('status', '=', 'requires_action')
        .returning('transfer_id')
        .executeTakeFirst();
      if (!done) throw new AppError('invalid_state', 'the transfer was confirmed or voided already');
      await deps.ledger.resolvePending(trx, done.transfer_id, 'post');
    });
    return getTransfer(actor.id, id);
  }

  /** Today's (Asia/Tokyo) outgoing transfers that moved or hold money, for the second-factor threshold. */
  async function sentToday(trx: Transaction<DB>, userId: string, now: Date): Promise<Yen> {
    const r = await trx
      .selectFrom('wallet_transfers')
      .select(sql<number>`coalesce(sum(amount), 0)::int8`.as('sent'))
      .where('from_user_id', '=', userId)
      .where('created_at', '>=', tokyoDayStart(now))
      .where((eb) =>
        eb.or([
          eb('status', 'in', ['succeeded', 'pending', 'in_review']),
          eb.and([eb('status', '=', 'requires_action'), eb('created_at', '>', confirmationCutoff(now))]),
        ]),
      )
      .executeTakeFirstOrThrow();
    return yen(r.sent);
  }

  /**
   * One attempt from the sender's daily budget of phone lookups, taken before the lookup (so parallel guesses
   * count). Phones are guessable; user ids are random (ULIDs), so sending by id is not counted, and an unknown id
   * gets the same answer as an unknown phone.
   */
  async function consumeLookup(senderId: string): Promise<Ticket> {
    const now = deps.clock.now();
    return attempts.consume({
      key: counterKey('transfer-lookup', senderId),
      max: FAILED_LOOKUPS_PER_DAY,
      windowMs: addTokyoDays(now, 1).getTime() - now.getTime(),
      onSuccess: 'refund',
    });
  }

  async function findRecipient(to: TransferTo, amount: Yen) {
    let q = deps.db.selectFrom('users').select(['id', 'verification', 'phone_confirmed_at']);
    q = 'userId' in to ? q.where('id', '=', to.userId) : q.where('phone', '=', normalizePhone(to.phone));
    return mayReceive(await q.executeTakeFirst(), amount);
  }

  async function recipientById(trx: Transaction<DB>, userId: string, amount: Yen) {
    return mayReceive(
      await trx
        .selectFrom('users')
        .select(['id', 'verification', 'phone_confirmed_at'])
        .where('id', '=', userId)
        .executeTakeFirst(),
      amount,
    );
  }

  /** Unknown, unconfirmed, and unverified above the receive cap: one answer for all. */
  function mayReceive<R extends { id: string; verification: string; phone_confirmed_at: Date | null }>(
    r: R | undefined,
    amount: Yen,
  ): R {
    if (!r || r.phone_confirmed_at === null) throw unavailable();
    if (r.verification !== 'verified' && amount > deps.policy.unverifiedReceiveCap) throw unavailable();
    return r;
  }

  const voidWaiting = (id: string) => voidWaitingObject(deps, 'wallet_transfers', id);
  /** The periodic job: voids objects of this kind left unconfirmed for 15 minutes. */
  const expireUnconfirmed = (batch = 100) => expireWaiting(deps, 'wallet_transfers', batch);

  /** A transfer as its sender or its recipient sees it (only the sender is offered the confirmation). */
  async function getTransfer(userId: string, id: string): Promise<WalletTransfer> {
    const row = await deps.db
      .selectFrom('wallet_transfers')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => eb.or([eb('from_user_id', '=', userId), eb('to_user_id', '=', userId)]))
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no transfer ${id}`);
    return toTransfer(row, userId);
  }

  return { createTransfer, confirmTransfer, getTransfer, expireUnconfirmed };
}
export type Transfers = ReturnType<typeof createTransfers>;

export function toTransfer(r: Selectable<WalletTransfersTable>, viewerId: string): WalletTransfer {
  return {
    id: r.id,
    object: 'transfer',
    status: r.status,
    amount: yen(r.amount),
    from: { userId: r.from_user_id },
    to: { userId: r.to_user_id },
    ...(r.message ? { message: r.message } : {}),
    ...(r.failure_code ? { failureCode: r.failure_code } : {}),
    risk: riskFromColumn(r.risk),
    ...(r.status === 'requires_action' && viewerId === r.from_user_id
      ? { nextAction: nextActionFor('transfers', r.id) }
      : {}),
    createdAt: new Date(r.created_at).toISOString(),
  };
}
