import type { Kysely, Transaction } from 'kysely';
import {
  type AccountType,
  type DB,
  type LinkPurpose,
  type LinkStatus,
  inTransaction,
  isCheckViolation,
} from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import type { BankAccountRef } from './gateway.ts';
import * as repo from './repository.ts';
import type { BankSettings } from './settings.ts';
import type { Change, WithdrawalAccounts } from './withdrawal-accounts.ts';

export interface BankLink {
  id: string;
  userId: string;
  bankCode: string;
  branchCode: string;
  accountType: AccountType;
  accountNumber: string;
  status: LinkStatus;
  /** `withdrawals`: never charged (wallet refuses it with link_withdrawals_only). */
  purpose: LinkPurpose;
  activatedAt: Date | null;
  createdAt: Date;
}

export interface BankLinkInput {
  bankCode: string;
  branchCode: string;
  accountType: AccountType;
  accountNumber: string;
}

/**
 * Bank links as the rest of Saifu uses them: money reads them (`getLink`, `listLinks`), the user unlinks, a
 * holder's report freezes them. bank_links and linked_bank_accounts are written only through repository.ts.
 */
export function createBankLinks(deps: {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  settings: BankSettings;
  /** The withdrawal account's rules (withdrawal-accounts.ts): told of each activation, asked by each withdrawal. */
  withdrawalAccounts: WithdrawalAccounts;
}) {
  /** Creates an already-authorised link, bypassing bank authentication: for seeds, tests and benches only. */
  async function createActiveLink(
    userId: string,
    input: BankLinkInput & { purpose?: LinkPurpose },
    activatedAt: Date = deps.clock.now(),
    maxLinks = 1,
  ): Promise<BankLink> {
    if (!/^[0-9]{7}$/.test(input.accountNumber))
      throw new AppError('invalid_account_number', 'account numbers are exactly 7 digits');
    const id = deps.newId('lnk');
    await repo.insertPendingLink(deps.db, {
      id,
      userId,
      account: input,
      method: null,
      attempts: 3,
      expiresAt: null,
      deviceId: null,
      ip: null,
      at: deps.clock.now(),
      ...(input.purpose ? { purpose: input.purpose } : {}),
    });
    await activate(id, input, maxLinks, activatedAt);
    return getLink(userId, id);
  }

  /**
   * Activates a link and counts it against its bank account: the CHECK on linked_bank_accounts refuses more
   * active links than the account allows (one wallet per bank account unless an operator raised it). A
   * withdrawals-only link becomes the withdrawal account in the same transaction; the user is told once it commits.
   */
  async function activate(
    linkId: string,
    account: BankLinkInput,
    maxLinks: number,
    at: Date = deps.clock.now(),
    from: 'pending_authorization' | 'in_review' = 'pending_authorization',
    /** Writes that commit with the activation or not at all (an analyst's case record and audit). */
    alongside?: (trx: Transaction<DB>) => Promise<void>,
  ): Promise<void> {
    let redirected: Change | undefined;
    try {
      await inTransaction(deps.db, async (trx) => {
        const userId = await repo.activateLink(trx, linkId, account, maxLinks, at, from);
        if (userId === undefined)
          throw new AppError(
            'invalid_state',
            `the link is no longer ${from === 'in_review' ? 'in review' : 'pending authorization'}`,
          );
        redirected = await deps.withdrawalAccounts.onActivated(
          trx,
          userId,
          linkId,
          { bank_code: account.bankCode, branch_code: account.branchCode, account_number: account.accountNumber },
          at,
        );
        await alongside?.(trx);
      });
    } catch (e) {
      if (isCheckViolation(e))
        throw new AppError('account_already_linked', 'this bank account is already linked to another wallet');
      throw e;
    }
    if (redirected) await deps.withdrawalAccounts.announce(redirected);
  }

  /** A link of this user; anyone else's link is reported as unknown, never as forbidden, so ids cannot be probed. */
  async function getLink(userId: string, id: string): Promise<BankLink> {
    const row = await repo.findLink(deps.db, userId, id);
    if (!row) throw new AppError('unknown_bank_link', `no bank link ${id}`, { bankLinkId: id });
    return toLink(row);
  }

  async function listLinks(userId: string): Promise<BankLink[]> {
    return (await repo.listLinks(deps.db, userId)).map(toLink);
  }

  /** Unlinking a frozen link is refused: a frozen link is evidence in an open case. */
  async function unlink(userId: string, id: string): Promise<BankLink> {
    const link = await getLink(userId, id);
    if (link.status === 'frozen')
      throw new AppError('invalid_state', 'this link is frozen while a report is investigated');
    if (link.status === 'unlinked') return link;
    // The bank's "registration changes" switch covers changes to existing links, unlinking included.
    const bank = await deps.settings.settingsOf(link.bankCode);
    if (bank && !bank.registrationChanges)
      throw new AppError(
        'registration_changes_suspended',
        'this bank has suspended changes to existing links; try again later',
        { bankCode: link.bankCode },
      );
    await inTransaction(deps.db, (trx) => repo.unlinkLink(trx, link));
    return getLink(userId, id);
  }

  /**
   * "This wasn't me", in the caller's transaction: every link to the account is frozen (a pending authorization
   * fails), rows locked first; or, when the holder named one (`onlyLinkId`, the reference their bank's notice
   * showed), that link alone, so a holder who reports someone else's attempt does not freeze their own wallet.
   * Returns the links touched and their wallet users.
   */
  async function freezeAccountLinks(
    trx: Transaction<DB>,
    account: Omit<BankAccountRef, 'accountType'>,
    onlyLinkId?: string,
  ): Promise<{ linkIds: string[]; userIds: string[] }> {
    const links = await repo.freezeAccountLinks(trx, account, onlyLinkId);
    return { linkIds: links.map((l) => l.id), userIds: [...new Set(links.map((l) => l.userId))] };
  }

  return {
    createActiveLink,
    activate,
    getLink,
    listLinks,
    unlink,
    freezeAccountLinks,
    /** In a withdrawal's transaction: refuses a link that is not (yet) where this wallet's withdrawals may go. */
    assertWithdrawalTarget: deps.withdrawalAccounts.assertWithdrawalTarget,
  };
}
export type BankLinks = ReturnType<typeof createBankLinks>;

function toLink(r: repo.LinkRow): BankLink {
  return {
    id: r.id,
    userId: r.user_id,
    bankCode: r.bank_code,
    branchCode: r.branch_code,
    accountType: r.account_type,
    accountNumber: r.account_number,
    status: r.status,
    purpose: r.purpose,
    activatedAt: r.activated_at ? new Date(r.activated_at) : null,
    createdAt: new Date(r.created_at),
  };
}
