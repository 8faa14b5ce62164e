import { type Transaction, sql } from 'kysely';
import type { DB } from '../db/index.ts';
import { type Yen, yen } from '../money/index.ts';
import type { WalletDeps } from './context.ts';
import type { NextAction } from './types.ts';

/**
 * Money objects waiting for a second factor (`requires_action`): a plain rule (first charge on a link, first
 * withdrawal, transfers adding up to the day's threshold) or a risk challenge. Every limit that holds at creation
 * holds at confirmation: a waiting object holds its money and its headroom, and confirm re-checks.
 */

/** A waiting object is voided (`confirmation_expired`) after 15 minutes. */
export const CONFIRM_TTL_MS = 15 * 60 * 1000;

export const confirmationCutoff = (now: Date): Date => new Date(now.getTime() - CONFIRM_TTL_MS);

export const isConfirmationExpired = (createdAt: Date | string, now: Date): boolean =>
  new Date(createdAt).getTime() + CONFIRM_TTL_MS < now.getTime();

export function nextActionFor(kind: 'charges' | 'payments' | 'transfers' | 'withdrawals', id: string): NextAction {
  return { type: 'confirm', methods: ['otp', 'passkey'], confirmUrl: `/v1/${kind}/${id}/confirm` };
}

/**
 * Charges waiting for their factor: they hold no ledger money yet (the bank is not called before the factor),
 * so their amount is added to what the wallet holds when the balance cap is checked.
 */
export async function waitingChargesOf(
  trx: Transaction<DB>,
  userId: string,
  now: Date,
  excludeId?: string,
): Promise<Yen> {
  let q = trx
    .selectFrom('charges')
    .select(sql<number>`coalesce(sum(amount), 0)::int8`.as('held'))
    .where('user_id', '=', userId)
    .where('status', '=', 'requires_action')
    .where('created_at', '>', confirmationCutoff(now));
  if (excludeId) q = q.where('id', '<>', excludeId);
  return yen((await q.executeTakeFirstOrThrow()).held);
}

/**
 * What counts against a wallet's balance cap: spendable money, incoming holds (charges in flight, transfers
 * waiting for their sender's factor) and charges waiting for a factor. Call under the wallet's lock.
 */
export async function walletHolding(
  deps: WalletDeps,
  trx: Transaction<DB>,
  userId: string,
  walletAccount: string,
  excludeChargeId?: string,
): Promise<Yen> {
  const a = await deps.ledger.available(trx, walletAccount);
  return yen(
    a.available + a.pendingIncoming + (await waitingChargesOf(trx, userId, deps.clock.now(), excludeChargeId)),
  );
}
