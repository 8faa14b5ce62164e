import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import {
  type AccountType,
  type BankLinksTable,
  type DB,
  type LinkStatus,
  inTransaction,
  isCheckViolation,
} from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import type { BankAccountRef } from './gateway.ts';
import type { BankSettings } from './settings.ts';

export interface BankLink {
  id: string;
  userId: string;
  bankCode: string;
  branchCode: string;
  accountType: AccountType;
  accountNumber: string;
  status: LinkStatus;
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
 * Bank links: bank_links and linked_bank_accounts are written only by the banks area (this module and the
 * linking flow in linking.ts, through repository.ts). Money reads links through `getLink`/`listLinks`.
 */
export function createBankLinks(deps: { db: Kysely<DB>; clock: Clock; newId: NewId; settings: BankSettings }) {
  /** Creates an already-authorised link, bypassing bank authentication: for seeds, tests and benches only. */
  async function createActiveLink(
    userId: string,
    input: BankLinkInput,
    activatedAt: Date = deps.clock.now(),
    maxLinks = 1,
  ): Promise<BankLink> {
    if (!/^[0-9]{7}$/.test(input.accountNumber))
      throw new AppError('invalid_account_number', 'account numbers are exactly 7 digits');
    const id = deps.newId('lnk');
    await deps.db
      .insertInto('bank_links')
      .values({
        id,
        user_id: userId,
        bank_code: input.bankCode,
        branch_code: input.branchCode,
        account_type: input.accountType,
        account_number: input.accountNumber,
        status: 'pending_authorization',
        activated_at: null,
        created_at: deps.clock.now(),
      })
      .execute();
    await activate(id, input, maxLinks, activatedAt);
    return getLink(userId, id);
  }

  /**
   * Activates a link and counts it against its bank account: the CHECK on linked_bank_accounts refuses more
   * active links than the account allows (one wallet per bank account unless an operator raised it).
   */
  async function activate(
    linkId: string,
    account: BankLinkInput,
    maxLinks: number,
    at: Date = deps.clock.now(),
  ): Promise<void> {
    try {
      await inTransaction(deps.db, async (trx) => {
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
          .where('status', '=', 'pending_authorization')
          .returning('id')
          .executeTakeFirst();
        if (!done) throw new AppError('invalid_state', 'the link is no longer pending authorization');
      });
    } catch (e) {
      if (isCheckViolation(e))
        throw new AppError('account_already_linked', 'this bank account is already linked to another wallet');
      throw e;
    }
  }

  async function releaseAccount(trx: Transaction<DB>, link: BankLink): Promise<void> {
    await trx
      .updateTable('linked_bank_accounts')
      .set({ active_links: sql`greatest(active_links - 1, 0)` })
      .where('bank_code', '=', link.bankCode)
      .where('branch_code', '=', link.branchCode)
      .where('account_number', '=', link.accountNumber)
      .execute();
  }

  /** A link of this user; anyone else's link is reported as unknown, never as forbidden, so ids cannot be probed. */
  async function getLink(userId: string, id: string): Promise<BankLink> {
    const row = await deps.db
      .selectFrom('bank_links')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new AppError('unknown_bank_link', `no bank link ${id}`, { bankLinkId: id });
    return toLink(row);
  }

  async function listLinks(userId: string): Promise<BankLink[]> {
    const rows = await deps.db
      .selectFrom('bank_links')
      .selectAll()
      .where('user_id', '=', userId)
      .where('status', 'in', ['active', 'frozen', 'pending_authorization'])
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toLink);
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
    await inTransaction(deps.db, async (trx) => {
      const done = await trx
        .updateTable('bank_links')
        .set({ status: 'unlinked' })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('status', '=', link.status)
        .returning('id')
        .executeTakeFirst();
      if (done && link.status === 'active') await releaseAccount(trx, link);
    });
    return getLink(userId, id);
  }

  /**
   * "This wasn't me", in the caller's transaction: every link to the account is frozen (a pending authorization
   * fails), rows locked first. Returns the links touched and their wallet users.
   */
  async function freezeAccountLinks(
    trx: Transaction<DB>,
    account: Omit<BankAccountRef, 'accountType'>,
  ): Promise<{ linkIds: string[]; userIds: string[] }> {
    const links = await trx
      .selectFrom('bank_links')
      .select(['id', 'user_id', 'status'])
      .where('bank_code', '=', account.bankCode)
      .where('branch_code', '=', account.branchCode)
      .where('account_number', '=', account.accountNumber)
      .where('status', 'in', ['active', 'pending_authorization', 'frozen'])
      .forUpdate()
      .execute();
    const active = links.filter((l) => l.status === 'active').map((l) => l.id);
    const pending = links.filter((l) => l.status === 'pending_authorization').map((l) => l.id);
    if (active.length > 0)
      await trx.updateTable('bank_links').set({ status: 'frozen' }).where('id', 'in', active).execute();
    if (pending.length > 0)
      await trx
        .updateTable('bank_links')
        .set({ status: 'failed', failure_code: 'reported_unauthorized' })
        .where('id', 'in', pending)
        .execute();
    return { linkIds: links.map((l) => l.id), userIds: [...new Set(links.map((l) => l.user_id))] };
  }

  return { createActiveLink, activate, getLink, listLinks, unlink, freezeAccountLinks };
}
export type BankLinks = ReturnType<typeof createBankLinks>;

function toLink(r: Selectable<BankLinksTable>): BankLink {
  return {
    id: r.id,
    userId: r.user_id,
    bankCode: r.bank_code,
    branchCode: r.branch_code,
    accountType: r.account_type,
    accountNumber: r.account_number,
    status: r.status,
    activatedAt: r.activated_at ? new Date(r.activated_at) : null,
    createdAt: new Date(r.created_at),
  };
}
