import { type ExpressionBuilder, type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import { descriptorFor } from '../banks/index.ts';
import type { ChargesTable, DB } from '../db/index.ts';
import { inTransaction } from '../db/index.ts';
import {
  type ChargeLimits,
  type ChargeUsage,
  type Yen,
  addTokyoDays,
  refuseCharge,
  tokyoDayStart,
  tokyoMonthStart,
  yen,
} from '../money/index.ts';
import { AppError } from '../platform/index.ts';
import { BANK_UNAVAILABLE, type BankSaga } from './bank-saga.ts';
import type { BankLink, BankLinks } from '../banks/index.ts';
import { CONFIRM_TTL_MS, isConfirmationExpired, nextActionFor, walletHolding } from './confirmation.ts';
import {
  type AccountDirectory,
  type WalletDeps,
  assertMayMoveMoney,
  assertPayerMayPay,
  isElevated,
  lockWallet,
} from './context.ts';
import { limitsFor } from './policy.ts';
import {
  actorSignals,
  assertNotRestricted,
  assessMoney,
  bankAccountKey,
  eventOf,
  linkSignals,
  recordDecision,
  riskColumn,
  riskFromColumn,
  statusFor,
  storingDenials,
} from './risk.ts';
import type { Actor, Charge } from './types.ts';

/** Charges that use up limits: final or in flight, and awaiting confirmation only while it can still come. */
const countsAgainstLimits = (now: Date) => (eb: ExpressionBuilder<DB, 'charges'>) =>
  eb.or([
    eb('status', 'in', ['succeeded', 'pending', 'in_review']),
    eb.and([eb('status', '=', 'requires_action'), eb('created_at', '>', new Date(now.getTime() - CONFIRM_TTL_MS))]),
  ]);

/**
 * A link money may be taken from: active, and not one the user added only to receive withdrawals (refused before
 * anything is written, on creation and again on every later path to the bank).
 */
function assertChargeable(link: BankLink): void {
  if (link.status !== 'active')
    throw new AppError('link_not_active', `bank link is ${link.status}`, { status: link.status });
  if (link.purpose === 'withdrawals')
    throw new AppError('link_withdrawals_only', 'this bank link receives withdrawals only and cannot be charged', {
      bankLinkId: link.id,
      purpose: link.purpose,
    });
}

/** A write that must commit with the charge's first row or not at all (the API's idempotency record). */
type WithCharge = (trx: Transaction<DB>, chargeId: string) => Promise<void>;

/** Charges: bank debit → wallet, as a saga (hold limits and a pending credit, debit the bank, post or void). */
export function createCharges(deps: WalletDeps, accounts: AccountDirectory, links: BankLinks, saga: BankSaga) {
  async function createCharge(
    actor: Actor,
    input: { bankLinkId: string; amount: Yen },
    alongside?: WithCharge,
  ): Promise<Charge> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const link = await links.getLink(actor.id, input.bankLinkId);
    assertChargeable(link);
    if (link.accountType === 'savings')
      throw new AppError('account_type_not_supported', 'savings accounts cannot be debited');
    const bank = await bankSettings(link.bankCode);
    if (bank && !bank.charging)
      throw new AppError('charging_suspended', 'this bank has suspended charges', { bankCode: link.bankCode });
    const clearing = await deps.ledger.bankClearingAccount(deps.db, link.bankCode);
    const wallet = await accounts.walletAccountOf(actor.id);
    const id = deps.newId('chg');
    // The first charge on a new link is a sensitive action: without a fresh second factor it waits for one.
    const needsConfirmation =
      deps.policy.stepUp.firstChargeOnLink &&
      !isElevated(actor, deps.clock.now()) &&
      !(await hasChargedBefore(link.id));
    // A bank known to be down is refused before anything is written.
    if (!needsConfirmation) saga.assertBankAvailable(link.bankCode);

    const status = await storingDenials(deps.risk, deps.db, () =>
      inTransaction(deps.db, async (trx) => {
        await lockWallet(trx, actor.id);
        await alongside?.(trx, id);
        const limitRatio = await assertWithinLimits(trx, actor, link, wallet, input.amount);
        const now = deps.clock.now();
        // Scored before money moves: deny throws here (nothing written); challenge waits for a factor like a
        // first charge (a session holding a fresh factor has given it already); review holds the money (pending
        // credit, bank not called) until an analyst decides.
        const scored = await assessMoney(
          deps.risk,
          eventOf(actor, { type: 'charge', amount: input.amount, linkId: link.id, bankAccount: bankAccountKey(link) }),
          { ...actorSignals(actor, now), ...linkSignals(link, now), limitRatio },
        );
        const risk = scored.verdict;
        const state = statusFor(risk, { needsFactor: needsConfirmation, elevated: isElevated(actor, now) }, 'pending');
        const hold =
          state === 'requires_action'
            ? undefined
            : (
                await deps.ledger.transfer(
                  trx,
                  [
                    {
                      debitAccountId: clearing,
                      creditAccountId: wallet,
                      amount: input.amount,
                      code: 'charge',
                      refId: id,
                    },
                  ],
                  'pending',
                )
              )[0];
        await trx
          .insertInto('charges')
          .values({
            id,
            user_id: actor.id,
            bank_link_id: link.id,
            bank_code: link.bankCode,
            amount: input.amount,
            status: state,
            failure_code: null,
            hold_id: hold?.id ?? null,
            bank_reference: id,
            bank_called_at: state === 'pending' ? now : null,
            risk: riskColumn(risk),
            created_at: now,
            updated_at: now,
          })
          .execute();
        await recordDecision(deps, trx, scored, { kind: 'charge', id, userId: actor.id, amount: input.amount }, state);
        return state;
      }),
    );
    if (status !== 'pending') return getCharge(actor.id, id);
    await debitBank(link, id, input.amount);
    return getCharge(actor.id, id);
  }

  /**
   * Every limit, checked under the wallet's lock (the caller holds it). `confirming` is a waiting charge being
   * confirmed: it counted as used while it waited, so it is left out of the usage it is checked against.
   */
  async function assertWithinLimits(
    trx: Transaction<DB>,
    actor: Actor,
    link: BankLink,
    wallet: string,
    amount: Yen,
    confirming?: string,
  ): Promise<number> {
    const bank = await bankSettings(link.bankCode, trx);
    if (bank && !bank.charging)
      throw new AppError('charging_suspended', 'this bank has suspended charges', { bankCode: link.bankCode });
    const cooling = await coolingOffOf(link, trx);
    const limits = limitsFor(
      deps.policy,
      actor.verification,
      bank && { perCharge: bank.perChargeLimit, monthly: bank.monthlyLimit },
      cooling?.daily,
    );
    const usage = await usageOf(trx, actor.id, link, wallet, confirming);
    const refusal = refuseCharge(amount, limits, usage);
    // A restriction a risk decision put on this link or wallet (a daily cap for a week after a suspicious charge).
    if (!refusal)
      await assertNotRestricted(
        deps.risk,
        trx,
        actor.id,
        { kind: 'charge', amount, chargedToday: usage.dailyUsedOnLink },
        deps.clock.now(),
        link.id,
      );
    if (refusal)
      throw new AppError(
        'limit_exceeded',
        `the charge exceeds the ${refusal.limit.replaceAll('_', ' ')} limit`,
        refusal,
      );
    // A risk signal (link_then_drain): the amount over the per-charge limit of the user's level and bank. Not
    // over a cooling-off link's daily cap: that cap already bounds a new link, and an honest first top-up of
    // ¥8,000 on it must not be held (docs/rules.md).
    return limits.perCharge > 0 ? amount / limits.perCharge : 1;
  }

  /**
   * Completes a `requires_action` charge once the caller has confirmed a second factor. Limits were counted
   * while it waited, but they are checked again under the wallet's lock (other money may have arrived since),
   * then the hold is written and the bank called.
   */
  async function confirmCharge(actor: Actor, id: string, alongside?: WithCharge): Promise<Charge> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const row = await deps.db
      .selectFrom('charges')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', actor.id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no charge ${id}`);
    if (row.status !== 'requires_action')
      throw new AppError('invalid_state', `the charge is ${row.status}`, { status: row.status });
    if (isConfirmationExpired(row.created_at, deps.clock.now())) {
      await deps.db
        .updateTable('charges')
        .set({ status: 'failed', failure_code: 'confirmation_expired', updated_at: deps.clock.now() })
        .where('id', '=', id)
        .where('status', '=', 'requires_action')
        .execute();
      return getCharge(actor.id, id);
    }
    const link = await links.getLink(actor.id, row.bank_link_id);
    assertChargeable(link);
    saga.assertBankAvailable(link.bankCode);
    const clearing = await deps.ledger.bankClearingAccount(deps.db, link.bankCode);
    const wallet = await accounts.walletAccountOf(actor.id);
    const claimed = await inTransaction(deps.db, async (trx) => {
      await lockWallet(trx, actor.id);
      await alongside?.(trx, id);
      const now = deps.clock.now();
      await assertPayerMayPay(trx, actor.id, now, false);
      await assertWithinLimits(trx, actor, link, wallet, yen(row.amount), id);
      const hold = (
        await deps.ledger.transfer(
          trx,
          [{ debitAccountId: clearing, creditAccountId: wallet, amount: yen(row.amount), code: 'charge', refId: id }],
          'pending',
        )
      )[0];
      const done = await trx
        .updateTable('charges')
        .set({ status: 'pending', hold_id: hold?.id ?? null, bank_called_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'requires_action')
        .returning('id')
        .executeTakeFirst();
      // Lost a race with another confirmation: throwing rolls this hold back.
      if (!done) throw new AppError('invalid_state', 'the charge was confirmed already');
      return true;
    });
    if (claimed) await debitBank(link, id, yen(row.amount));
    return getCharge(actor.id, id);
  }

  /**
   * Runs again a charge whose bank refused the connection (`failed`, `bank_unavailable`): what a retry of its
   * Idempotency-Key does, so one key keeps one charge. Nothing happened at the bank, so the same reference goes
   * out again under a new hold, after every limit is checked again. A charge in any other state is returned as is.
   */
  async function resumeCharge(actor: Actor, id: string): Promise<Charge> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const row = await deps.db
      .selectFrom('charges')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', actor.id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no charge ${id}`);
    if (row.status !== 'failed' || row.failure_code !== BANK_UNAVAILABLE) return toCharge(row);
    const link = await links.getLink(actor.id, row.bank_link_id);
    assertChargeable(link);
    saga.assertBankAvailable(link.bankCode);
    const clearing = await deps.ledger.bankClearingAccount(deps.db, link.bankCode);
    const wallet = await accounts.walletAccountOf(actor.id);
    const resumed = await inTransaction(deps.db, async (trx) => {
      await lockWallet(trx, actor.id);
      const now = deps.clock.now();
      await assertPayerMayPay(trx, actor.id, now, false);
      // Only one retry wins the charge back; the others answer with its state.
      if (!(await saga.reclaimAfterOutage(trx, 'charges', id, now))) return false;
      await assertWithinLimits(trx, actor, link, wallet, yen(row.amount), id);
      const hold = (
        await deps.ledger.transfer(
          trx,
          [{ debitAccountId: clearing, creditAccountId: wallet, amount: yen(row.amount), code: 'charge', refId: id }],
          'pending',
        )
      )[0];
      await trx
        .updateTable('charges')
        .set({ hold_id: hold?.id ?? null })
        .where('id', '=', id)
        .execute();
      return true;
    });
    if (resumed) await debitBank(link, id, yen(row.amount));
    return getCharge(actor.id, id);
  }

  /**
   * An analyst approved a charge held for review (`in_review`, its pending credit written, the bank not called):
   * it goes to the bank as a new charge would. `alongside` commits with the release (the case's resolution and its
   * audit record). A charge a holder's report held while it was already at the bank goes back to `pending` without
   * a second call: the inquiry job asks the bank what happened to it. Of parallel approvals exactly one wins (the
   * wallet's lock, then a conditional UPDATE); the others are 409 invalid_state.
   */
  async function releaseReviewed(id: string, alongside?: WithCharge): Promise<Charge> {
    const row = await deps.db.selectFrom('charges').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('not_found', `no charge ${id}`);
    if (row.status !== 'in_review' || !row.hold_id)
      throw new AppError('invalid_state', `the charge is ${row.status}${row.hold_id ? '' : ' and holds no money'}`, {
        status: row.status,
      });
    const atBank = row.bank_called_at !== null;
    const link = atBank ? undefined : await links.getLink(row.user_id, row.bank_link_id);
    if (link) assertChargeable(link);
    if (link) saga.assertBankAvailable(link.bankCode);
    await inTransaction(deps.db, async (trx) => {
      await lockWallet(trx, row.user_id);
      await alongside?.(trx, id);
      const now = deps.clock.now();
      const done = await trx
        .updateTable('charges')
        .set({ status: 'pending', bank_called_at: row.bank_called_at ?? now, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'in_review')
        .returning('id')
        .executeTakeFirst();
      if (!done) throw new AppError('invalid_state', 'the charge was approved or rejected already');
    });
    if (link) await debitBank(link, id, yen(row.amount));
    return getCharge(row.user_id, id);
  }

  async function debitBank(link: BankLink, id: string, amount: Yen): Promise<void> {
    const account = {
      bankCode: link.bankCode,
      branchCode: link.branchCode,
      accountType: link.accountType,
      accountNumber: link.accountNumber,
    };
    await saga.callBank('charges', id, link.bankCode, () =>
      deps.bank.debit({ account, amount, reference: id, descriptor: descriptorFor(id) }),
    );
  }

  async function hasChargedBefore(linkId: string): Promise<boolean> {
    const r = await deps.db
      .selectFrom('charges')
      .select('id')
      .where('bank_link_id', '=', linkId)
      .where('status', 'in', ['succeeded', 'pending', 'in_review'])
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** The link's cooling-off period, if it is in one: per bank, else the platform's days and daily cap. */
  async function coolingOffOf(
    link: BankLink,
    q: Kysely<DB> | Transaction<DB> = deps.db,
  ): Promise<{ until: Date; daily: Yen } | null> {
    const bank = await bankSettings(link.bankCode, q);
    const days = bank?.coolingOffDays ?? deps.policy.coolingOffDays;
    if (!link.activatedAt || days <= 0) return null;
    const until = addTokyoDays(link.activatedAt, days);
    return deps.clock.now() < until ? { until, daily: yen(bank?.newLinkDailyLimit ?? deps.policy.newLinkDaily) } : null;
  }

  async function usageOf(
    trx: Transaction<DB>,
    userId: string,
    link: BankLink,
    wallet: string,
    excludeId?: string,
  ): Promise<ChargeUsage> {
    const now = deps.clock.now();
    const r = await trx
      .selectFrom('charges')
      .select([
        sql<number>`coalesce(sum(amount) FILTER (WHERE created_at >= ${tokyoMonthStart(now)}), 0)::int8`.as('month'),
        sql<number>`coalesce(sum(amount) FILTER (WHERE bank_link_id = ${link.id} AND created_at >= ${tokyoDayStart(now)}), 0)::int8`.as(
          'today',
        ),
      ])
      .where('user_id', '=', userId)
      .where(countsAgainstLimits(deps.clock.now()))
      // A Tokyo month always starts on or before today's Tokyo day: one range covers both sums.
      .where('created_at', '>=', tokyoMonthStart(now))
      .where('id', '<>', excludeId ?? '')
      .executeTakeFirstOrThrow();
    // Charges waiting for a factor hold the wallet's headroom too: three of them cannot all fit under the cap.
    return {
      monthlyUsed: yen(r.month),
      dailyUsedOnLink: yen(r.today),
      walletHolding: await walletHolding(deps, trx, userId, wallet, excludeId),
    };
  }

  /** The limits a user sees on GET /v1/wallet, figured exactly as a charge would figure them. */
  async function limitsView(
    actor: Actor,
  ): Promise<{ limits: ChargeLimits; monthlyUsed: Yen; newLinkDaily?: { used: Yen; limit: Yen } }> {
    const now = deps.clock.now();
    const base = limitsFor(deps.policy, actor.verification, undefined, undefined);
    const monthUsed = await usedSince('user_id', actor.id, tokyoMonthStart(now));
    // The link in cooling-off with the least room today (docs/api.md).
    let newLinkDaily: { used: Yen; limit: Yen } | undefined;
    for (const link of await links.listLinks(actor.id)) {
      const cooling = link.status === 'active' ? await coolingOffOf(link) : null;
      if (!cooling) continue;
      const today = await usedSince('bank_link_id', link.id, tokyoDayStart(now));
      if (!newLinkDaily || cooling.daily - today < newLinkDaily.limit - newLinkDaily.used)
        newLinkDaily = { used: today, limit: cooling.daily };
    }
    return { limits: base, monthlyUsed: monthUsed, ...(newLinkDaily ? { newLinkDaily } : {}) };
  }

  /** Charges counting against limits since an instant, for one user or one link. */
  async function usedSince(column: 'user_id' | 'bank_link_id', id: string, since: Date): Promise<Yen> {
    const r = await deps.db
      .selectFrom('charges')
      .select(sql<number>`coalesce(sum(amount), 0)::int8`.as('used'))
      .where(column, '=', id)
      .where(countsAgainstLimits(deps.clock.now()))
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return yen(r.used);
  }

  /** A link's cooling-off figures (GET /v1/bank-links/{id}): today's use against the daily cap, and until when. */
  async function linkLimits(
    link: BankLink,
  ): Promise<{ daily?: { limit: Yen; used: Yen; remaining: Yen }; coolingOffUntil?: string }> {
    const cooling = await coolingOffOf(link);
    if (!cooling) return {};
    const used = await usedSince('bank_link_id', link.id, tokyoDayStart(deps.clock.now()));
    const limit = cooling.daily;
    return {
      daily: { limit, used, remaining: yen(Math.max(0, limit - used)) },
      coolingOffUntil: cooling.until.toISOString(),
    };
  }

  async function getCharge(userId: string, id: string): Promise<Charge> {
    const row = await deps.db
      .selectFrom('charges')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no charge ${id}`);
    return toCharge(row);
  }

  /** Inside a transaction pass it: PGlite has one connection, so a query beside the transaction would wait forever. */
  /** The bank's row as the banks area keeps it (read each time: a switch applies at once; inside `q` when given). */
  async function bankSettings(bankCode: string, q: Kysely<DB> | Transaction<DB> = deps.db) {
    return deps.bankSettings.settingsOf(bankCode, q);
  }

  /** Charges never confirmed within 15 minutes fail (`confirmation_expired`); no hold was written for them. */
  async function expireUnconfirmed(): Promise<number> {
    const cutoff = new Date(deps.clock.now().getTime() - CONFIRM_TTL_MS);
    const r = await deps.db
      .updateTable('charges')
      .set({ status: 'failed', failure_code: 'confirmation_expired', updated_at: deps.clock.now() })
      .where('status', '=', 'requires_action')
      .where('created_at', '<', cutoff)
      .returning('id')
      .execute();
    return r.length;
  }

  return {
    createCharge,
    confirmCharge,
    resumeCharge,
    releaseReviewed,
    getCharge,
    limitsView,
    linkLimits,
    expireUnconfirmed,
  };
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
    risk: riskFromColumn(r.risk),
    ...(r.status === 'requires_action' ? { nextAction: nextActionFor('charges', r.id) } : {}),
    createdAt: new Date(r.created_at).toISOString(),
  };
}
