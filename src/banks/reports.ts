import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import { inTransaction } from '../db/index.ts';
import type { Clock, NewId } from '../platform/index.ts';
import type { BankAccountRef } from './gateway.ts';

export interface UnauthorizedReport {
  caseId: string;
  frozenLinks: string[];
  frozenWallets: string[];
  heldCharges: string[];
}

/**
 * "This wasn't me": the holder tells their bank a link or debit was not theirs. At once, in one transaction:
 * every link to the account is frozen (pending authorizations fail), charges not yet final on those links are
 * held for review (their ledger holds stay pending, so the money cannot be spent), the wallets' outgoing money
 * is frozen, and a case is opened for operators with everything that was touched.
 */
export async function reportUnauthorized(deps: { db: Kysely<DB>; clock: Clock; newId: NewId }, account: Omit<BankAccountRef, 'accountType'>): Promise<UnauthorizedReport> {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const links = await trx
      .selectFrom('bank_links')
      .select(['id', 'user_id', 'status'])
      .where('bank_code', '=', account.bankCode)
      .where('branch_code', '=', account.branchCode)
      .where('account_number', '=', account.accountNumber)
      .where('status', 'in', ['active', 'pending_authorization', 'frozen'])
      .forUpdate()
      .execute();
    const linkIds = links.map((l) => l.id);
    const userIds = [...new Set(links.map((l) => l.user_id))];
    if (linkIds.length > 0) {
      await trx.updateTable('bank_links').set({ status: 'frozen' }).where('id', 'in', links.filter((l) => l.status === 'active').map((l) => l.id).concat([''])).execute();
      await trx.updateTable('bank_links').set({ status: 'failed', failure_code: 'reported_unauthorized' }).where('id', 'in', links.filter((l) => l.status === 'pending_authorization').map((l) => l.id).concat([''])).execute();
    }
    const held = linkIds.length === 0 ? [] : await trx.updateTable('charges').set({ status: 'in_review', updated_at: now }).where('bank_link_id', 'in', linkIds).where('status', 'in', ['pending', 'requires_action']).returning('id').execute();
    if (userIds.length > 0) await trx.updateTable('users').set({ frozen_at: now }).where('id', 'in', userIds).where('frozen_at', 'is', null).execute();
    const report = { frozenLinks: linkIds, frozenWallets: userIds, heldCharges: held.map((h) => h.id) };
    const caseId = deps.newId('case');
    await trx
      .insertInto('cases')
      .values({ id: caseId, kind: 'unauthorized_report', bank_code: account.bankCode, branch_code: account.branchCode, account_number: account.accountNumber, details: JSON.stringify(report), created_at: now })
      .execute();
    return { caseId, ...report };
  });
}

/** Opens a case for operators (security events such as a reverse brute-force run). */
export async function openCase(deps: { db: Kysely<DB>; clock: Clock; newId: NewId }, kind: string, account: Omit<BankAccountRef, 'accountType'> | undefined, details: Record<string, unknown>): Promise<string> {
  const id = deps.newId('case');
  await deps.db
    .insertInto('cases')
    .values({ id, kind, bank_code: account?.bankCode ?? null, branch_code: account?.branchCode ?? null, account_number: account?.accountNumber ?? null, details: JSON.stringify(details), created_at: deps.clock.now() })
    .execute();
  return id;
}
