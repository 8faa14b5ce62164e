import type { Kysely, Selectable, Transaction } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { assertMay } from '../identity/index.ts';
import type { Notifier } from '../notify/index.ts';
import { AppError, type Clock } from '../platform/index.ts';
import type { BankAuthenticator } from './authenticator.ts';
import type { LinkUser } from './linking.ts';
import type { LinkingPolicy } from './policy.ts';
import * as repo from './repository.ts';

/** Where the wallet's withdrawals go, as GET /v1/wallet shows it. */
export interface WithdrawalAccountView {
  bankLinkId: string;
  since: string;
  /** Present while withdrawals to this account wait; the previous account still receives them until then. */
  coolingOffUntil?: string;
}

type Row = Selectable<DB['withdrawal_accounts']>;
/** A designation as written; `changed` = where withdrawals go changed, and the user must be told (`announce`). */
export interface Change {
  userId: string;
  link: repo.LinkRow;
  row: Row;
  changed: boolean;
}
type Account = Pick<repo.LinkRow, 'bank_code' | 'branch_code' | 'account_number'>;

const sameAccount = (a: Account, b: Account) =>
  a.bank_code === b.bank_code && a.branch_code === b.branch_code && a.account_number === b.account_number;
const coolingUntil = (r: Row, now: Date): Date | undefined =>
  r.cooling_off_until && new Date(r.cooling_off_until) > now ? new Date(r.cooling_off_until) : undefined;

export interface WithdrawalAccountsDeps {
  db: Kysely<DB>;
  clock: Clock;
  policy: () => LinkingPolicy;
  authenticator: BankAuthenticator;
  notifier: Notifier;
  operatorName: string;
  assertSteppedUp: (user: LinkUser) => void;
  phoneOf: (userId: string) => Promise<string | undefined>;
  emailOf?: ((userId: string) => Promise<string | undefined>) | undefined;
}

/**
 * The wallet's withdrawal account (withdrawal_accounts, owned here). The first link a wallet activates is its
 * withdrawal account at once. Changing it (a fresh step-up) starts a cooling-off (policy, default 72 h): withdrawals
 * to the new account wait while the previous one still receives them; the user hears of it by SMS and email and
 * the new account's holder by a bank notice. Going back to the account withdrawals already go to, or re-linking the
 * same bank account, is no redirection and starts none. A link added only for withdrawals (`purpose`) is such a
 * change when it turns active: it is designated the same way (unless it is the wallet's first link).
 */
export function createWithdrawalAccounts(deps: WithdrawalAccountsDeps) {
  const { db, clock } = deps;

  async function withdrawalAccountOf(userId: string): Promise<WithdrawalAccountView | undefined> {
    const row = await db.selectFrom('withdrawal_accounts').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? toView(row, clock.now()) : undefined;
  }

  /** POST /v1/bank-links/{id}/withdrawal-account: needs a fresh second factor whatever the linking policy says. */
  async function designate(user: LinkUser, linkId: string): Promise<WithdrawalAccountView> {
    assertMay(user, { notFrozen: true }, 'change where withdrawals go');
    deps.assertSteppedUp(user);
    const link = await repo.findLink(db, user.id, linkId);
    if (!link) throw new AppError('unknown_bank_link', `no bank link ${linkId}`, { bankLinkId: linkId });
    if (link.status !== 'active')
      throw new AppError('invalid_state', `only an active link can receive withdrawals; this one is ${link.status}`, {
        status: link.status,
      });
    const now = clock.now();
    const change = await inTransaction(db, (trx) => redirect(trx, user.id, link, now));
    if (change.changed) await announce(change);
    return toView(change.row, now);
  }

  /**
   * The change itself, in the caller's transaction (designate's, or a withdrawals-only link's activation): `link`
   * becomes the withdrawal account, cooling off unless withdrawals already go to it or to the same bank account.
   * The caller announces a change once it has committed (no network inside a transaction).
   */
  async function redirect(trx: Transaction<DB>, userId: string, link: repo.LinkRow, now: Date): Promise<Change> {
    const coolingOffMs = deps.policy().withdrawalAccount.coolingOffMs;
    const current = await trx
      .selectFrom('withdrawal_accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .forUpdate()
      .executeTakeFirst();
    if (current?.bank_link_id === link.id) return { userId, link, row: current, changed: false };
    // The account withdrawals may go to right now: the previous one while the current one cools off.
    const trustedId = current
      ? coolingUntil(current, now)
        ? current.previous_bank_link_id
        : current.bank_link_id
      : null;
    const trusted = trustedId ? await repo.findLink(trx, userId, trustedId) : undefined;
    const noRedirection = !current || trustedId === link.id || (trusted !== undefined && sameAccount(trusted, link));
    const cooling = noRedirection || coolingOffMs <= 0 ? null : new Date(now.getTime() + coolingOffMs);
    const values = {
      bank_link_id: link.id,
      since: now,
      cooling_off_until: cooling,
      previous_bank_link_id: cooling ? trustedId : null,
      updated_at: now,
    };
    const row = await trx
      .insertInto('withdrawal_accounts')
      .values({ user_id: userId, ...values })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
      .returningAll()
      .executeTakeFirstOrThrow();
    return { userId, link, row, changed: true };
  }

  /** Every channel: the user by SMS and email, the new account's holder by a bank notice. */
  async function announce({ userId, link, row }: Change): Promise<void> {
    const account = `bank ${link.bank_code}, …${link.account_number.slice(-4)}`;
    const until = row.cooling_off_until ? new Date(row.cooling_off_until).toISOString() : undefined;
    const body = `Saifu: withdrawals from your wallet now go to ${account}${until ? ` from ${until}; until then they go to your previous account` : ''}. If this was not you, contact Saifu support at once.`;
    const [phone, email] = await Promise.all([deps.phoneOf(userId), deps.emailOf?.(userId)]);
    if (phone) await deps.notifier.send({ to: phone, channel: 'sms', body });
    if (email) await deps.notifier.send({ to: email, channel: 'email', body });
    await deps.authenticator.notifyHolder(
      {
        bankCode: link.bank_code,
        branchCode: link.branch_code,
        accountType: link.account_type,
        accountNumber: link.account_number,
      },
      `ご本人様の口座が ${deps.operatorName} のウォレットの出金先に指定されました (連携ID ${link.id})。お心当たりのない場合はすぐに銀行へご連絡ください。`,
    );
  }

  /**
   * In the withdrawal's transaction: may this wallet's money go to `linkId` now? Refuses with
   * withdrawal_account_cooling_off (`until`) or not_withdrawal_account. The policy may turn the rule off (2020).
   */
  async function assertWithdrawalTarget(trx: Transaction<DB>, userId: string, linkId: string, now: Date) {
    if (!deps.policy().withdrawalAccount.required) return;
    const row = await trx
      .selectFrom('withdrawal_accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const until = row ? coolingUntil(row, now) : undefined;
    if (row?.bank_link_id === linkId) {
      if (until)
        throw new AppError(
          'withdrawal_account_cooling_off',
          'this withdrawal account was designated recently: withdrawals to it wait until the cooling-off ends',
          {
            bankLinkId: linkId,
            until: until.toISOString(),
            ...(row.previous_bank_link_id ? { previousBankLinkId: row.previous_bank_link_id } : {}),
          },
        );
      return;
    }
    if (row && until && row.previous_bank_link_id === linkId) return;
    throw new AppError(
      'not_withdrawal_account',
      'withdrawals go only to the wallet’s withdrawal account (POST /v1/bank-links/{id}/withdrawal-account)',
      { bankLinkId: linkId, ...(row ? { withdrawalAccount: row.bank_link_id } : {}) },
    );
  }

  /**
   * In the activation's transaction: a wallet's first link becomes its withdrawal account. A link that re-links the
   * bank account of a designated link no longer active (a forced re-link, an unlink) takes its place as it was
   * (cooling-off included): the money keeps going where it went. A withdrawals-only link that is not the first is
   * then designated as POST …/withdrawal-account would (`redirect`: cooling-off; the step-up was asked when the
   * link started): returns the change for the caller to `announce` once committed.
   */
  async function onActivated(
    trx: Transaction<DB>,
    userId: string,
    linkId: string,
    account: Account,
    at: Date,
  ): Promise<Change | undefined> {
    const inserted = await trx
      .insertInto('withdrawal_accounts')
      .values({ user_id: userId, bank_link_id: linkId, since: at, updated_at: at })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .returning('user_id')
      .executeTakeFirst();
    if (inserted) return undefined;
    const row = await trx
      .selectFrom('withdrawal_accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    for (const column of ['bank_link_id', 'previous_bank_link_id'] as const) {
      const id = row[column];
      if (!id) continue;
      const old = await repo.findLink(trx, userId, id);
      if (old && old.status !== 'active' && sameAccount(old, account))
        await trx
          .updateTable('withdrawal_accounts')
          .set({ [column]: linkId, updated_at: at })
          .where('user_id', '=', userId)
          .execute();
    }
    const link = await repo.findLink(trx, userId, linkId);
    if (link?.purpose !== 'withdrawals') return undefined;
    const change = await redirect(trx, userId, link, clock.now());
    return change.changed ? change : undefined;
  }

  return { withdrawalAccountOf, designate, assertWithdrawalTarget, onActivated, announce };
}
export type WithdrawalAccounts = ReturnType<typeof createWithdrawalAccounts>;

function toView(r: Row, now: Date): WithdrawalAccountView {
  const until = coolingUntil(r, now);
  return {
    bankLinkId: r.bank_link_id,
    since: new Date(r.since).toISOString(),
    ...(until ? { coolingOffUntil: until.toISOString() } : {}),
  };
}
