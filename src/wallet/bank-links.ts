import type { AccountType, LinkStatus } from '../db/index.ts';
import type { Selectable } from 'kysely';
import type { BankLinksTable } from '../db/index.ts';
import { addTokyoDays } from '../money/index.ts';
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
  /** Creates an already-authorised link: for seeds, tests and the linking flow once the bank has said yes. */
  async function createActiveLink(userId: string, input: BankLinkInput, activatedAt: Date = deps.clock.now()): Promise<BankLink> {
    if (!/^[0-9]{7}$/.test(input.accountNumber)) throw new AppError('invalid_account_number', 'account numbers are exactly 7 digits');
    const id = deps.newId('lnk');
    await deps.db
      .insertInto('bank_links')
      .values({ id, user_id: userId, bank_code: input.bankCode, branch_code: input.branchCode, account_type: input.accountType, account_number: input.accountNumber, status: 'active', activated_at: activatedAt, created_at: deps.clock.now() })
      .execute();
    return getLink(userId, id);
  }

  /** A link of this user; anyone else's link is reported as unknown, never as forbidden, so ids cannot be probed. */
  async function getLink(userId: string, id: string): Promise<BankLink> {
    const row = await deps.db.selectFrom('bank_links').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw new AppError('unknown_bank_link', `no bank link ${id}`, { bankLinkId: id });
    return toLink(row);
  }

  async function listLinks(userId: string): Promise<BankLink[]> {
    const rows = await deps.db.selectFrom('bank_links').selectAll().where('user_id', '=', userId).where('status', '<>', 'unlinked').orderBy('id', 'desc').execute();
    return rows.map(toLink);
  }

  async function unlink(userId: string, id: string): Promise<BankLink> {
    await getLink(userId, id);
    await deps.db.updateTable('bank_links').set({ status: 'unlinked' }).where('id', '=', id).where('user_id', '=', userId).execute();
    return getLink(userId, id);
  }

  /** The first instant after the link's cooling-off period: Asia/Tokyo days counted from activation. */
  function coolingOffUntil(link: BankLink): Date | null {
    return link.activatedAt ? addTokyoDays(link.activatedAt, deps.policy.coolingOffDays) : null;
  }

  return { createActiveLink, getLink, listLinks, unlink, coolingOffUntil };
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
