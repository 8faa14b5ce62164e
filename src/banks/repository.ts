import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { AccountType, BankLinksTable, DB, LinkFailureCode, LinkPurpose } from '../db/index.ts';
import type { AuthMethod } from './authenticator.ts';
import type { BankAccountRef } from './gateway.ts';

/**
 * Queries on bank_links and linked_bank_accounts: the only place that writes them (bank_settings and its history
 * are in settings.ts). Functions that must join the caller's transaction take `trx`.
 */

type Q = Kysely<DB> | Transaction<DB>;
export type LinkRow = Selectable<BankLinksTable>;
type Account = Omit<BankAccountRef, 'accountType'>;

export async function findLink(q: Q, userId: string, id: string): Promise<LinkRow | undefined> {
  return q.selectFrom('bank_links').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
}

export async function listLinks(q: Q, userId: string): Promise<LinkRow[]> {
  return q
    .selectFrom('bank_links')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', 'in', ['active', 'frozen', 'pending_authorization', 'in_review', 'relink_required'])
    .orderBy('id', 'desc')
    .execute();
}

export async function insertPendingLink(
  q: Q,
  l: {
    id: string;
    userId: string;
    account: BankAccountRef;
    method: AuthMethod | null;
    attempts: number;
    expiresAt: Date | null;
    deviceId: string | null;
    ip: string | null;
    at: Date;
    risk?: string | null;
    /** Default (the column's): charges_and_withdrawals. */
    purpose?: LinkPurpose;
  },
): Promise<void> {
  await q
    .insertInto('bank_links')
    .values({
      id: l.id,
      user_id: l.userId,
      bank_code: l.account.bankCode,
      branch_code: l.account.branchCode,
      account_type: l.account.accountType as AccountType,
      account_number: l.account.accountNumber,
      status: 'pending_authorization',
      ...(l.method ? { auth_method: l.method, auth_step: l.method === 'app' ? 'app' : 'pin' } : {}),
      attempts_left: l.attempts,
      expires_at: l.expiresAt,
      device_id: l.deviceId,
      ip: l.ip,
      activated_at: null,
      created_at: l.at,
      risk: l.risk ?? null,
      ...(l.purpose ? { purpose: l.purpose } : {}),
    })
    .execute();
}

/** Pending authorizations past their expiry stop holding the account's one pending slot. */
export async function closeExpiredAuthorizations(q: Q, account: Account, now: Date): Promise<void> {
  await q
    .updateTable('bank_links')
    .set({ status: 'failed', failure_code: 'authorization_expired', attempts_left: 0 })
    .where('bank_code', '=', account.bankCode)
    .where('branch_code', '=', account.branchCode)
    .where('account_number', '=', account.accountNumber)
    .where('status', '=', 'pending_authorization')
    .where('expires_at', '<=', now)
    .execute();
}

/** Takes one of the link's attempts for a guess at `step`, atomically; undefined when none is left. */
export async function takeAttempt(q: Q, linkId: string, step: 'pin' | 'otp', now: Date): Promise<LinkRow | undefined> {
  return q
    .updateTable('bank_links')
    .set((eb) => ({ attempts_left: eb('attempts_left', '-', 1) }))
    .where('id', '=', linkId)
    .where('status', '=', 'pending_authorization')
    .where('auth_step', '=', step)
    .where('attempts_left', '>', 0)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

export async function giveAttemptBack(q: Q, linkId: string): Promise<void> {
  await q
    .updateTable('bank_links')
    .set((eb) => ({ attempts_left: eb('attempts_left', '+', 1) }))
    .where('id', '=', linkId)
    .where('status', '=', 'pending_authorization')
    .execute();
}

/** PIN → code: only the caller that moves the step gets the row (and has the bank send a code). */
export async function moveToOtpStep(q: Q, linkId: string): Promise<LinkRow | undefined> {
  return q
    .updateTable('bank_links')
    .set({ auth_step: 'otp' })
    .where('id', '=', linkId)
    .where('status', '=', 'pending_authorization')
    .where('auth_step', '=', 'pin')
    .returningAll()
    .executeTakeFirst();
}

/** Fails a pending link; true when this call moved it (of racing callers, exactly one). */
export async function failPendingLink(
  q: Q,
  linkId: string,
  code: LinkFailureCode,
  score: number | null,
): Promise<boolean> {
  const moved = await q
    .updateTable('bank_links')
    .set({
      status: 'failed',
      failure_code: code,
      attempts_left: 0,
      ...(score !== null ? { name_match_score: score } : {}),
    })
    .where('id', '=', linkId)
    .where('status', '=', 'pending_authorization')
    .returning('id')
    .executeTakeFirst();
  return moved !== undefined;
}

export async function recordNameMatch(q: Q, linkId: string, score: number): Promise<void> {
  await q.updateTable('bank_links').set({ name_match_score: score }).where('id', '=', linkId).execute();
}

/**
 * Counts an activation against the bank account (the CHECK on linked_bank_accounts refuses more active links than
 * it allows) and marks the link active; its user, or undefined when the link was no longer pending.
 */
export async function activateLink(
  trx: Transaction<DB>,
  linkId: string,
  account: Account,
  maxLinks: number,
  at: Date,
  from: 'pending_authorization' | 'in_review' = 'pending_authorization',
): Promise<string | undefined> {
  await trx
    .insertInto('linked_bank_accounts')
    .values({
      bank_code: account.bankCode,
      branch_code: account.branchCode,
      account_number: account.accountNumber,
      max_links: maxLinks,
      active_links: 1,
    })
    .onConflict((oc) =>
      oc
        .columns(['bank_code', 'branch_code', 'account_number'])
        .doUpdateSet({ active_links: sql`linked_bank_accounts.active_links + 1` }),
    )
    .execute();
  const done = await trx
    .updateTable('bank_links')
    .set({ status: 'active', activated_at: at, attempts_left: 0 })
    .where('id', '=', linkId)
    .where('status', '=', from)
    .returning('user_id')
    .executeTakeFirst();
  return done?.user_id;
}

/** Unlinks (from the status it had when read); frees the account's slot when it was active. */
export async function unlinkLink(
  trx: Transaction<DB>,
  link: { id: string; userId: string; status: string } & Account,
): Promise<void> {
  const done = await trx
    .updateTable('bank_links')
    .set({ status: 'unlinked' })
    .where('id', '=', link.id)
    .where('user_id', '=', link.userId)
    .where('status', '=', link.status as LinkRow['status'])
    .returning('id')
    .executeTakeFirst();
  if (done && link.status === 'active')
    await trx
      .updateTable('linked_bank_accounts')
      .set({ active_links: sql`greatest(active_links - 1, 0)` })
      .where('bank_code', '=', link.bankCode)
      .where('branch_code', '=', link.branchCode)
      .where('account_number', '=', link.accountNumber)
      .execute();
}

/** "This wasn't me": every link to the account, locked; active ones frozen, pending ones failed. */
export async function freezeAccountLinks(
  trx: Transaction<DB>,
  account: Account,
  onlyLinkId?: string,
): Promise<Array<{ id: string; userId: string }>> {
  let query = trx
    .selectFrom('bank_links')
    .select(['id', 'user_id', 'status'])
    .where('bank_code', '=', account.bankCode)
    .where('branch_code', '=', account.branchCode)
    .where('account_number', '=', account.accountNumber);
  // One named link: whatever its status (a failed attempt's wallet is the one that tried); else every live link.
  query = onlyLinkId
    ? query.where('id', '=', onlyLinkId)
    : query.where('status', 'in', ['active', 'pending_authorization', 'frozen', 'in_review']);
  const links = await query.forUpdate().execute();
  const active = links.filter((l) => l.status === 'active').map((l) => l.id);
  const pending = links
    .filter((l) => l.status === 'pending_authorization' || l.status === 'in_review')
    .map((l) => l.id);
  if (active.length > 0)
    await trx.updateTable('bank_links').set({ status: 'frozen' }).where('id', 'in', active).execute();
  if (pending.length > 0)
    await trx
      .updateTable('bank_links')
      .set({ status: 'failed', failure_code: 'reported_unauthorized' })
      .where('id', 'in', pending)
      .execute();
  return links.map((l) => ({ id: l.id, userId: l.user_id }));
}

/** A link by id alone (operators' review queue; the wallet side always goes through `findLink` with its user). */
export async function findLinkById(q: Q, id: string): Promise<LinkRow | undefined> {
  return q.selectFrom('bank_links').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Stores the risk decision of the link attempt on the link. */
export async function setLinkRisk(q: Q, linkId: string, risk: string): Promise<void> {
  await q.updateTable('bank_links').set({ risk }).where('id', '=', linkId).execute();
}

/** Authenticated and held for review (from pending only); false when the link was no longer pending. */
export async function holdLinkForReview(q: Q, linkId: string, score: number | null): Promise<boolean> {
  const moved = await q
    .updateTable('bank_links')
    .set({ status: 'in_review', attempts_left: 0, ...(score !== null ? { name_match_score: score } : {}) })
    .where('id', '=', linkId)
    .where('status', '=', 'pending_authorization')
    .returning('id')
    .executeTakeFirst();
  return moved !== undefined;
}

/** An analyst rejected a held link; false when it was no longer in review. */
export async function rejectReviewedLink(
  q: Q,
  linkId: string,
  code: 'review_rejected' | 'account_already_linked' = 'review_rejected',
): Promise<boolean> {
  const moved = await q
    .updateTable('bank_links')
    .set({ status: 'failed', failure_code: code })
    .where('id', '=', linkId)
    .where('status', '=', 'in_review')
    .returning('id')
    .executeTakeFirst();
  return moved !== undefined;
}

/** Distinct wallets that hold or tried to link this bank account (any status), `userId` included. */
export async function walletsOfAccount(q: Q, account: Account, userId: string): Promise<number> {
  const rows = await q
    .selectFrom('bank_links')
    .select('user_id')
    .distinct()
    .where('bank_code', '=', account.bankCode)
    .where('branch_code', '=', account.branchCode)
    .where('account_number', '=', account.accountNumber)
    .execute();
  return new Set([...rows.map((r) => r.user_id), userId]).size;
}

const AUTH_FAILURES = ['bank_auth_failed', 'invalid_otp', 'bank_account_locked'] as const;

/**
 * Wrong PINs or codes on links since `since`: on one bank account (any wallet), the attempts spent by pending
 * links plus one per link that failed its authentication; and the distinct accounts that saw one from a device.
 * Read from the links themselves (attempts are taken before the bank checks them and given back on success).
 */
export async function authFailuresSince(
  q: Q,
  o: { account: Account; deviceId: string | undefined; since: Date; attempts: number },
): Promise<{ perAccount: number; accountsPerDevice: number }> {
  const failedOrSpent = (eb: import('kysely').ExpressionBuilder<DB, 'bank_links'>) =>
    eb.or([
      eb.and([eb('status', '=', 'pending_authorization'), eb('attempts_left', '<', o.attempts)]),
      eb.and([eb('status', '=', 'failed'), eb('failure_code', 'in', AUTH_FAILURES)]),
    ]);
  const onAccount = await q
    .selectFrom('bank_links')
    .select(['status', 'attempts_left'])
    .where('bank_code', '=', o.account.bankCode)
    .where('branch_code', '=', o.account.branchCode)
    .where('account_number', '=', o.account.accountNumber)
    .where('created_at', '>=', o.since)
    .where(failedOrSpent)
    .execute();
  const perAccount = onAccount.reduce(
    (n, l) => n + (l.status === 'pending_authorization' ? Math.max(0, o.attempts - l.attempts_left) : 1),
    0,
  );
  if (!o.deviceId) return { perAccount, accountsPerDevice: 0 };
  const accounts = await q
    .selectFrom('bank_links')
    .select(['bank_code', 'branch_code', 'account_number'])
    .distinct()
    .where('device_id', '=', o.deviceId)
    .where('created_at', '>=', o.since)
    .where(failedOrSpent)
    .execute();
  return { perAccount, accountsPerDevice: accounts.length };
}

/**
 * Forced re-link, one batch: the next `limit` wallets (in user-id order after `after`) with active links at
 * `bankCode` (null = every bank). Their active links there become `relink_required` (marked with the re-link) and
 * stop counting against their bank accounts. Returns the wallets and the links moved, in the caller's transaction.
 */
export async function cutLinksForRelink(
  trx: Transaction<DB>,
  o: { relinkId: string; bankCode: string | null; after: string; limit: number },
): Promise<{ userIds: string[]; moved: number }> {
  let users = trx
    .selectFrom('bank_links')
    .select('user_id')
    .distinct()
    .where('status', '=', 'active')
    .where('user_id', '>', o.after)
    .orderBy('user_id')
    .limit(o.limit);
  if (o.bankCode !== null) users = users.where('bank_code', '=', o.bankCode);
  const userIds = (await users.execute()).map((r) => r.user_id);
  if (userIds.length === 0) return { userIds, moved: 0 };
  let cut = trx
    .updateTable('bank_links')
    .set({ status: 'relink_required', relink_id: o.relinkId })
    .where('status', '=', 'active')
    .where('user_id', 'in', userIds);
  if (o.bankCode !== null) cut = cut.where('bank_code', '=', o.bankCode);
  const moved = await cut.returning(['bank_code', 'branch_code', 'account_number']).execute();
  const perAccount = new Map<string, { account: Account; n: number }>();
  for (const m of moved) {
    const key = `${m.bank_code}/${m.branch_code}/${m.account_number}`;
    const entry = perAccount.get(key);
    if (entry) entry.n += 1;
    else
      perAccount.set(key, {
        account: { bankCode: m.bank_code, branchCode: m.branch_code, accountNumber: m.account_number },
        n: 1,
      });
  }
  for (const { account, n } of perAccount.values())
    await trx
      .updateTable('linked_bank_accounts')
      .set({ active_links: sql`greatest(active_links - ${n}, 0)` })
      .where('bank_code', '=', account.bankCode)
      .where('branch_code', '=', account.branchCode)
      .where('account_number', '=', account.accountNumber)
      .execute();
  return { userIds, moved: moved.length };
}

/** The links a forced re-link cut, of the wallets in (after, through], in user-id order (for its notices). */
export async function linksCutByRelink(
  q: Q,
  o: { relinkId: string; after: string; through: string; limit: number },
): Promise<Array<{ userId: string; bankCode: string; accountNumber: string }>> {
  const users = await q
    .selectFrom('bank_links')
    .select('user_id')
    .distinct()
    .where('relink_id', '=', o.relinkId)
    .where('user_id', '>', o.after)
    .where('user_id', '<=', o.through)
    .orderBy('user_id')
    .limit(o.limit)
    .execute();
  if (users.length === 0) return [];
  const rows = await q
    .selectFrom('bank_links')
    .select(['user_id', 'bank_code', 'account_number'])
    .where('relink_id', '=', o.relinkId)
    .where(
      'user_id',
      'in',
      users.map((u) => u.user_id),
    )
    .orderBy('user_id')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, bankCode: r.bank_code, accountNumber: r.account_number }));
}
