import { type Selectable, type Transaction, sql } from 'kysely';
import type { AccountType, BankLinksTable, DB, LinkStatus } from '../db/index.ts';
import { inTransaction } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import type { WalletDeps } from './context.ts';

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

/** Bank links as money sees them. The public linking flow (bank authentication, name match) lives in banks/. */
export function createBankLinks(deps: WalletDeps) {
  /** Creates an already-authorised link, bypassing bank authentication: for seeds, tests and benches only. */
  async function createActiveLink(userId: string, input: BankLinkInput, activatedAt: Date = deps.clock.now(), maxLinks = 1): Promise<BankLink> {
    if (!/^[0-9]{7}$/.test(input.accountNumber)) throw new AppError('invalid_account_number', 'account numbers are exactly 7 digits');
    const id = deps.newId('lnk');
    await deps.db
      .insertInto('bank_links')
      .values({ id, user_id: userId, bank_code: input.bankCode, branch_code: input.branchCode, account_type: input.accountType, account_number: input.accountNumber, status: 'pending_authorization', activated_at: null, created_at: deps.clock.now() })
      .execute();
    await activate(id, input, maxLinks, activatedAt);
    return getLink(userId, id);
  }

  /**
   * Activates a link and counts it against its bank account: the CHECK on linked_bank_accounts refuses more
   * active links than the account allows (one wallet per bank account unless an operator raised it).
   */
  async function activate(linkId: string, account: BankLinkInput, maxLinks: number, at: Date = deps.clock.now()): Promise<void> {
    try {
      await inTransaction(deps.db, async (trx) => {
        await trx
          .insertInto('linked_bank_accounts')
          .values({ bank_code: account.bankCode, branch_code: account.branchCode, account_number: account.accountNumber, max_links: maxLinks, active_links: 1 })
          .onConflict((oc) => oc.columns(['bank_code', 'branch_code', 'account_number']).doUpdateSet({ active_links: sql`linked_bank_accounts.active_links + 1` }))
          .execute();
        const done = await trx.updateTable('bank_links').set({ status: 'active', activated_at: at, attempts_left: 0 }).where('id', '=', linkId).where('status', '=', 'pending_authorization').returning('id').executeTakeFirst();
        if (!done) throw new AppError('invalid_state', 'the link is no longer pending authorization');
      });
    } catch (e) {
      if (typeof e === 'object' && e !== null && (e as { code?: string }).code === '23514') throw new AppError('account_already_linked', 'this bank account is already linked to another wallet');
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
    const row = await deps.db.selectFrom('bank_links').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw new AppError('unknown_bank_link', `no bank link ${id}`, { bankLinkId: id });
    return toLink(row);
  }

  async function listLinks(userId: string): Promise<BankLink[]> {
    const rows = await deps.db.selectFrom('bank_links').selectAll().where('user_id', '=', userId).where('status', 'in', ['active', 'frozen', 'pending_authorization']).orderBy('id', 'desc').execute();
    return rows.map(toLink);
  }

  /** Unlinking a frozen link is refused: a frozen link is evidence in an open case. */
  async function unlink(userId: string, id: string): Promise<BankLink> {
    const link = await getLink(userId, id);
    if (link.status === 'frozen') throw new AppError('invalid_state', 'this link is frozen while a report is investigated');
    if (link.status === 'unlinked') return link;
    // The bank's "registration changes" switch covers changes to existing links, unlinking included.
    const bank = await deps.db.selectFrom('bank_settings').select('registration_changes').where('bank_code', '=', link.bankCode).executeTakeFirst();
    if (bank && !bank.registration_changes) throw new AppError('registration_changes_suspended', 'this bank has suspended changes to existing links; try again later', { bankCode: link.bankCode });
    await inTransaction(deps.db, async (trx) => {
      const done = await trx.updateTable('bank_links').set({ status: 'unlinked' }).where('id', '=', id).where('user_id', '=', userId).where('status', '=', link.status).returning('id').executeTakeFirst();
      if (done && link.status === 'active') await releaseAccount(trx, link);
    });
    return getLink(userId, id);
  }

  return { createActiveLink, activate, getLink, listLinks, unlink };
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
