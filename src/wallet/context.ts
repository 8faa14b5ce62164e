import type { Kysely, Transaction } from 'kysely';
import type { BankGateway, BankLinks, BankSettings } from '../banks/index.ts';
import type { DB } from '../db/index.ts';
import type { Ledger } from '../ledger/index.ts';
import type { NoticeQueue } from '../notify/index.ts';
import { assertMay, hasFreshFactor } from '../identity/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import type { LimitPolicy } from './policy.ts';
import type { OpenReviewCase, RiskPort } from './risk.ts';
import type { Actor } from './types.ts';

export interface WalletDeps {
  db: Kysely<DB>;
  ledger: Ledger;
  bank: BankGateway;
  /** The banks area's links (money reads them; only banks writes them) and per-bank settings. */
  links: BankLinks;
  bankSettings: BankSettings;
  clock: Clock;
  newId: NewId;
  policy: LimitPolicy;
  /** Where failures that need a person go (a compensation that failed, a bank answer that makes no sense). */
  alert?: (message: string, details: Record<string, unknown>) => void;
  /** The risk engine: scores every charge, transfer and withdrawal before money moves (absent = allow all). */
  risk?: RiskPort;
  /** The review queue: a case for every object a risk decision sends to review. */
  openReviewCase?: OpenReviewCase;
  /** The outbox: users hear of charges and withdrawals that succeeded, in the settling transaction. */
  notices?: NoticeQueue;
}

/** Ledger account ids of wallets and merchants: looked up once, then cached (they never change). */
export function createAccountDirectory(deps: WalletDeps) {
  const wallets = new Map<string, string>();
  const merchants = new Map<string, string>();

  async function openWallet(trx: Transaction<DB>, userId: string): Promise<string> {
    const accountId = await deps.ledger.createAccount(trx, { kind: 'wallet', ownerId: userId });
    await trx
      .insertInto('wallets')
      .values({ user_id: userId, account_id: accountId, created_at: deps.clock.now() })
      .execute();
    return accountId;
  }

  async function walletAccountOf(userId: string): Promise<string> {
    const cached = wallets.get(userId);
    if (cached) return cached;
    const row = await deps.db
      .selectFrom('wallets')
      .select('account_id')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'this user has no wallet');
    wallets.set(userId, row.account_id);
    return row.account_id;
  }

  async function merchantAccountOf(merchantId: string): Promise<string> {
    const cached = merchants.get(merchantId);
    if (cached) return cached;
    const row = await deps.db
      .selectFrom('merchants')
      .select('account_id')
      .where('id', '=', merchantId)
      .executeTakeFirst();
    if (!row) throw new AppError('unknown_merchant', `no merchant ${merchantId}`, { merchantId });
    merchants.set(merchantId, row.account_id);
    return row.account_id;
  }

  return { openWallet, walletAccountOf, merchantAccountOf };
}
export type AccountDirectory = ReturnType<typeof createAccountDirectory>;

/** Money leaves a wallet only when its phone is confirmed (unless the policy says otherwise) and it is not frozen. */
export function assertMayMoveMoney(actor: Actor, requirePhone = true): void {
  assertMay(actor, { phoneConfirmed: requirePhone, notFrozen: true }, 'move money');
}

/** Takes the wallet's row lock: charges and incoming transfers on one wallet see each other's holds. */
export async function lockWallet(trx: Transaction<DB>, userId: string): Promise<void> {
  await trx.selectFrom('wallets').select('user_id').where('user_id', '=', userId).forUpdate().executeTakeFirst();
}

/** The refusal while a security hold lasts (a factor, phone, email or password changed in the last 24 hours). */
export function securityHold(until: Date): AppError {
  return new AppError(
    'security_hold',
    `your sign-in details changed recently, so for your protection money cannot be sent or withdrawn until ${until.toISOString()}`,
    { until: until.toISOString() },
  );
}

/** Fast refusal from the session's view of the user; the authoritative check is assertPayerMayPay. */
export function assertNoSecurityHold(actor: Actor, now: Date): void {
  if (actor.securityHoldUntil && new Date(actor.securityHoldUntil) > now)
    throw securityHold(new Date(actor.securityHoldUntil));
}

/**
 * Re-reads the payer's row inside the money transaction, after lockWallet: the actor came from a session that
 * may be a second old, so a freeze or a security hold set since then must still stop the money. `outgoing`
 * (transfers, withdrawals) is held by a security hold; charges only by a freeze.
 */
export async function assertPayerMayPay(
  trx: Transaction<DB>,
  userId: string,
  now: Date,
  outgoing: boolean,
): Promise<void> {
  const u = await trx
    .selectFrom('users')
    .select(['frozen_at', 'security_hold_until'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!u) throw new AppError('not_found', 'no such user');
  if (u.frozen_at) throw new AppError('wallet_frozen', 'this wallet is frozen: contact support');
  if (outgoing && u.security_hold_until && new Date(u.security_hold_until) > now)
    throw securityHold(new Date(u.security_hold_until));
}

/** Locks several wallets in one order (by user id), so two transfers between the same wallets never deadlock. */
export async function lockWallets(trx: Transaction<DB>, userIds: string[]): Promise<void> {
  for (const id of [...new Set(userIds)].sort()) await lockWallet(trx, id);
}

/** Whether the actor's session holds a fresh second factor (step-up, 5 minutes): the identity guard decides. */
export const isElevated = (actor: Actor, now: Date): boolean => hasFreshFactor(actor, now);
