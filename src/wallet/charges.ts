import { type Selectable, type Transaction, sql } from 'kysely';
import { descriptorFor } from '../banks/gateway.ts';
import type { ChargesTable, DB } from '../db/index.ts';
import { inTransaction } from '../ledger/index.ts';
import { type ChargeLimits, type ChargeUsage, type Yen, refuseCharge, tokyoDayStart, tokyoMonthStart, yen } from '../money/index.ts';
import { AppError } from '../platform/index.ts';
import type { BankSaga } from './bank-saga.ts';
import type { BankLink, BankLinks } from './bank-links.ts';
import { type AccountDirectory, type WalletDeps, assertMayMoveMoney, lockWallet } from './context.ts';
import { limitsFor } from './policy.ts';
import type { Actor, Charge } from './types.ts';

/** Charge statuses that count against limits: the money is in, or may still come in. */
export const COUNTED_STATUSES = ['succeeded', 'pending', 'requires_action', 'in_review'] as const;

/** Charges: bank debit → wallet, as a saga (hold limits and a pending credit, debit the bank, post or void). */
export function createCharges(deps: WalletDeps, accounts: AccountDirectory, links: BankLinks, saga: BankSaga) {
  async function createCharge(actor: Actor, input: { bankLinkId: string; amount: Yen }): Promise<Charge> {
    assertMayMoveMoney(actor);
    const link = await links.getLink(actor.id, input.bankLinkId);
    if (link.status !== 'active') throw new AppError('link_not_active', `bank link is ${link.status}`, { status: link.status });
    if (link.accountType === 'savings') throw new AppError('account_type_not_supported', 'savings accounts cannot be debited');
    const bank = await bankSettings(link.bankCode);
    if (bank && !bank.charging) throw new AppError('charging_suspended', 'this bank has suspended charges', { bankCode: link.bankCode });
    const clearing = await deps.ledger.bankClearingAccount(deps.db, link.bankCode);
    const wallet = await accounts.walletAccountOf(actor.id);
    const id = deps.newId('chg');

    await inTransaction(deps.db, async (trx) => {
      await lockWallet(trx, actor.id);
      const limits = limitsFor(deps.policy, actor.verification, bank && { perCharge: bank.per_charge_limit, monthly: bank.monthly_limit }, isCoolingOff(link));
      const usage = await usageOf(trx, actor.id, link, wallet);
      const refusal = refuseCharge(input.amount, limits, usage);
      if (refusal) throw new AppError('limit_exceeded', `the charge exceeds the ${refusal.limit.replaceAll('_', ' ')} limit`, refusal);
      const [hold] = await deps.ledger.transfer(trx, [{ debitAccountId: clearing, creditAccountId: wallet, amount: input.amount, code: 'charge', refId: id }], 'pending');
      const now = deps.clock.now();
      await trx
        .insertInto('charges')
        .values({ id, user_id: actor.id, bank_link_id: link.id, bank_code: link.bankCode, amount: input.amount, status: 'pending', failure_code: null, hold_id: hold?.id ?? null, bank_reference: id, bank_called_at: now, created_at: now, updated_at: now })
        .execute();
    });

    const account = { bankCode: link.bankCode, branchCode: link.branchCode, accountType: link.accountType, accountNumber: link.accountNumber };
    await saga.callBank('charges', id, () => deps.bank.debit({ account, amount: input.amount, reference: id, descriptor: descriptorFor(id) }));
    return getCharge(actor.id, id);
  }

  function isCoolingOff(link: BankLink): boolean {
    const until = links.coolingOffUntil(link);
    return until !== null && deps.clock.now() < until;
  }

  async function usageOf(trx: Transaction<DB>, userId: string, link: BankLink, wallet: string): Promise<ChargeUsage> {
    const now = deps.clock.now();
    const r = await trx
      .selectFrom('charges')
      .select([
        sql<number>`coalesce(sum(amount) FILTER (WHERE created_at >= ${tokyoMonthStart(now)}), 0)::int8`.as('month'),
        sql<number>`coalesce(sum(amount) FILTER (WHERE bank_link_id = ${link.id} AND created_at >= ${tokyoDayStart(now)}), 0)::int8`.as('today'),
      ])
      .where('user_id', '=', userId)
      .where('status', 'in', COUNTED_STATUSES)
      .where('created_at', '>=', tokyoMonthStart(now) < tokyoDayStart(now) ? tokyoMonthStart(now) : tokyoDayStart(now))
      .executeTakeFirstOrThrow();
    const a = await deps.ledger.available(trx, wallet);
    return { monthlyUsed: yen(r.month), dailyUsedOnLink: yen(r.today), walletHolding: yen(a.available + a.pendingIncoming) };
  }

  /** The limits a user sees on GET /v1/wallet, figured exactly as a charge would figure them. */
  async function limitsView(actor: Actor): Promise<{ limits: ChargeLimits; monthlyUsed: Yen; newLinkDaily?: { used: Yen; limit: Yen } }> {
    const now = deps.clock.now();
    const base = limitsFor(deps.policy, actor.verification, undefined, false);
    const month = await deps.db
      .selectFrom('charges')
      .select(sql<number>`coalesce(sum(amount), 0)::int8`.as('used'))
      .where('user_id', '=', actor.id)
      .where('status', 'in', COUNTED_STATUSES)
      .where('created_at', '>=', tokyoMonthStart(now))
      .executeTakeFirstOrThrow();
    // The link in cooling-off with the least room today (API.md).
    let newLinkDaily: { used: Yen; limit: Yen } | undefined;
    for (const link of await links.listLinks(actor.id)) {
      if (link.status !== 'active' || !isCoolingOff(link)) continue;
      const today = await deps.db
        .selectFrom('charges')
        .select(sql<number>`coalesce(sum(amount), 0)::int8`.as('used'))
        .where('bank_link_id', '=', link.id)
        .where('status', 'in', COUNTED_STATUSES)
        .where('created_at', '>=', tokyoDayStart(now))
        .executeTakeFirstOrThrow();
      if (!newLinkDaily || today.used > newLinkDaily.used) newLinkDaily = { used: yen(today.used), limit: deps.policy.newLinkDaily };
    }
    return { limits: base, monthlyUsed: yen(month.used), ...(newLinkDaily ? { newLinkDaily } : {}) };
  }

  async function getCharge(userId: string, id: string): Promise<Charge> {
    const row = await deps.db.selectFrom('charges').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw new AppError('not_found', `no charge ${id}`);
    return toCharge(row);
  }

  async function bankSettings(bankCode: string) {
    return deps.db.selectFrom('bank_settings').selectAll().where('bank_code', '=', bankCode).executeTakeFirst();
  }

  return { createCharge, getCharge, limitsView };
}
export type Charges = ReturnType<typeof createCharges>;

export function toCharge(r: Selectable<ChargesTable>): Charge {
  return {
    id: r.id,
    object: 'charge',
    status: r.status,
    amount: yen(r.amount),
    bankLinkId: r.bank_link_id,
    ...(r.failure_code ? { failureCode: r.failure_code } : {}),
    // The risk engine is a later issue: until it exists every charge that passes the limits is allowed.
    risk: { decision: 'allow', score: 0, reasons: [] },
    createdAt: new Date(r.created_at).toISOString(),
  };
}
