import { createHash, randomBytes } from 'node:crypto';
import type { Selectable, Transaction } from 'kysely';
import type { DB, PaymentsTable, RefundsTable } from '../db/index.ts';
import type { Alongside } from '../ledger/index.ts';
import { inTransaction } from '../db/index.ts';
import { type Yen, yen } from '../money/index.ts';
import { AppError } from '../platform/index.ts';
import {
  isConfirmationExpired,
  nextActionFor,
  expireWaiting,
  voidWaiting as voidWaitingObject,
} from './confirmation.ts';
import {
  type AccountDirectory,
  type WalletDeps,
  assertMayMoveMoney,
  assertPayerMayPay,
  isElevated,
} from './context.ts';
import {
  actorSignals,
  assessMoney,
  eventOf,
  openRiskReview,
  riskColumn,
  riskFromColumn,
  statusFor,
  storingDenials,
} from './risk.ts';
import type { Actor, Payment, Refund } from './types.ts';

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Merchants, payments (wallet → merchant) and refunds (merchant → wallet). */
export function createPayments(deps: WalletDeps, accounts: AccountDirectory) {
  async function createMerchant(name: string): Promise<{ id: string; name: string; apiKey: string }> {
    const id = deps.newId('mer');
    const apiKey = `sk_${randomBytes(24).toString('base64url')}`;
    await inTransaction(deps.db, async (trx) => {
      const accountId = await deps.ledger.createAccount(trx, { kind: 'merchant', ownerId: id });
      await trx
        .insertInto('merchants')
        .values({ id, name, account_id: accountId, api_key_hash: hashKey(apiKey), created_at: deps.clock.now() })
        .execute();
    });
    return { id, name, apiKey };
  }

  async function authenticateMerchant(apiKey: string): Promise<{ id: string; name: string } | undefined> {
    return deps.db
      .selectFrom('merchants')
      .select(['id', 'name'])
      .where('api_key_hash', '=', hashKey(apiKey))
      .executeTakeFirst();
  }

  async function getMerchant(id: string): Promise<{ id: string; name: string }> {
    const m = await deps.db.selectFrom('merchants').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    if (!m) throw new AppError('unknown_merchant', `no merchant ${id}`, { merchantId: id });
    return m;
  }

  /**
   * `alongside` gives statements that must commit with the payment or not at all (the API's idempotency record):
   * they receive the payment as it will be returned. `within` runs in the payment's transaction (a merchant's
   * webhook): given, a succeeded payment is one transaction instead of one statement.
   */
  async function createPayment(
    actor: Actor,
    input: { merchantId: string; amount: Yen; description?: string; reference?: string },
    alongside: (payment: Payment) => Alongside[] = () => [],
    within?: (trx: Transaction<DB>, payment: Payment) => Promise<void>,
  ): Promise<Payment> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const merchant = await accounts.merchantAccountOf(input.merchantId);
    const wallet = await accounts.walletAccountOf(actor.id);
    const id = deps.newId('pay');
    const now = deps.clock.now();
    // Scored before money moves, with no database round trip (counters in memory, a compiled rule set): deny
    // throws here; challenge (without a fresh factor in the session) and review hold the money instead.
    const scored = await assessMoney(
      deps.risk,
      eventOf(actor, {
        type: 'payment',
        amount: input.amount,
        recipientId: input.merchantId,
        recipientKind: 'merchant',
      }),
      actorSignals(actor, now),
    ).catch((e) => storingDenials(deps.risk, deps.db, () => Promise.reject(e)));
    const risk = scored.verdict;
    // The decision is stored with the payment, in the same statement (no extra round trip on the hot path).
    const stored = scored.assessment && deps.risk ? deps.risk.statements(scored.assessment, id) : [];
    const status = statusFor(risk, { needsFactor: false, elevated: isElevated(actor, now) }, 'succeeded');
    const payment: Payment = {
      id,
      object: 'payment',
      status,
      amount: input.amount,
      amountRefunded: yen(0),
      merchantId: input.merchantId,
      ...(input.description ? { description: input.description } : {}),
      ...(input.reference ? { reference: input.reference } : {}),
      risk,
      ...(status === 'requires_action' ? { nextAction: nextActionFor('payments', id) } : {}),
      createdAt: now.toISOString(),
    };
    const requests = [
      { debitAccountId: wallet, creditAccountId: merchant, amount: input.amount, code: 'payment' as const, refId: id },
    ];
    const row = (transferId: string) =>
      deps.db.insertInto('payments').values({
        id,
        user_id: actor.id,
        merchant_id: input.merchantId,
        amount: input.amount,
        status,
        description: input.description ?? null,
        reference: input.reference ?? null,
        transfer_id: transferId,
        risk: riskColumn(risk),
        created_at: now,
      });
    if (status === 'succeeded' && within) {
      await inTransaction(deps.db, async (trx) => {
        await deps.ledger.transfer(trx, requests, 'single', ([transferId]) => [
          row(transferId!),
          ...stored,
          ...alongside(payment),
        ]);
        await within(trx, payment);
      });
      return payment;
    }
    if (status === 'succeeded') {
      // One statement, no lock taken by hand: the wallet's balance row is the lock and its CHECK the rule; the
      // payment row is written in the same statement, so the hot path is a single round trip.
      await deps.ledger.transferAtomically(deps.db, requests, ([transferId]) => [
        row(transferId!),
        ...stored,
        ...alongside(payment),
      ]);
      return payment;
    }
    // Held: the money leaves the spendable balance as a pending transfer to the merchant, posted on confirmation
    // (or by an analyst after review), voided after 15 minutes unconfirmed.
    await inTransaction(deps.db, async (trx) => {
      await deps.ledger.transfer(trx, requests, 'pending', ([transferId]) => [
        row(transferId!),
        ...stored,
        ...alongside(payment),
      ]);
      if (status === 'in_review')
        await openRiskReview(
          deps.openReviewCase,
          trx,
          { kind: 'payment', id, userId: actor.id, amount: input.amount },
          risk,
        );
      await within?.(trx, payment);
    });
    return payment;
  }

  /** Posts a `requires_action` payment once the caller has confirmed a second factor. */
  async function confirmPayment(
    actor: Actor,
    id: string,
    alongside?: (trx: Transaction<DB>, paymentId: string) => Promise<void>,
  ): Promise<Payment> {
    assertMayMoveMoney(actor, deps.policy.requirePhoneConfirmed);
    const row = await deps.db
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', actor.id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no payment ${id}`);
    if (row.status !== 'requires_action')
      throw new AppError('invalid_state', `the payment is ${row.status}`, { status: row.status });
    if (isConfirmationExpired(row.created_at, deps.clock.now())) {
      await voidWaiting(id);
      return getPayment({ userId: actor.id }, id);
    }
    await inTransaction(deps.db, async (trx) => {
      await alongside?.(trx, id);
      await assertPayerMayPay(trx, actor.id, deps.clock.now(), false);
      const done = await trx
        .updateTable('payments')
        .set({ status: 'succeeded' })
        .where('id', '=', id)
        .where('status', '=', 'requires_action')
        .returning('transfer_id')
        .executeTakeFirst();
      if (!done) throw new AppError('invalid_state', 'the payment was confirmed or voided already');
      await deps.ledger.resolvePending(trx, done.transfer_id, 'post');
    });
    return getPayment({ userId: actor.id }, id);
  }

  const voidWaiting = (id: string) => voidWaitingObject(deps, 'payments', id);
  /** The periodic job: voids objects of this kind left unconfirmed for 15 minutes. */
  const expireUnconfirmed = (batch = 100) => expireWaiting(deps, 'payments', batch);

  /** A payment as its payer or its merchant sees it. */
  async function getPayment(viewer: { userId?: string; merchantId?: string }, id: string): Promise<Payment> {
    let q = deps.db.selectFrom('payments').selectAll().where('id', '=', id);
    if (viewer.userId) q = q.where('user_id', '=', viewer.userId);
    if (viewer.merchantId) q = q.where('merchant_id', '=', viewer.merchantId);
    const row = await q.executeTakeFirst();
    if (!row) throw new AppError('not_found', `no payment ${id}`);
    return toPayment(row);
  }

  /** `alongside` must commit with the refund or not at all (the API's idempotency record). */
  async function refund(
    merchantId: string,
    paymentId: string,
    amount: Yen,
    alongside?: (trx: Transaction<DB>, refundId: string) => Promise<void>,
  ): Promise<Refund> {
    const id = deps.newId('rfd');
    const now = deps.clock.now();
    await inTransaction(deps.db, async (trx) => {
      const p = await trx
        .selectFrom('payments')
        .selectAll()
        .where('id', '=', paymentId)
        .where('merchant_id', '=', merchantId)
        .forUpdate()
        .executeTakeFirst();
      if (!p) throw new AppError('not_found', `no payment ${paymentId} for this merchant`);
      if (p.status !== 'succeeded')
        throw new AppError('invalid_state', `the payment is ${p.status}: only a succeeded payment can be refunded`, {
          status: p.status,
        });
      await alongside?.(trx, id);
      const refundable = p.amount - p.refunded;
      if (amount > refundable)
        throw new AppError(
          'refund_exceeds_payment',
          `at most ${refundable} yen of this payment can still be refunded`,
          { refundable },
        );
      const t = await deps.ledger.reverse(trx, p.transfer_id, amount, 'refund', id);
      await trx
        .updateTable('payments')
        .set({ refunded: p.refunded + amount })
        .where('id', '=', paymentId)
        .execute();
      await trx
        .insertInto('refunds')
        .values({
          id,
          payment_id: paymentId,
          merchant_id: merchantId,
          user_id: p.user_id,
          amount,
          status: 'succeeded',
          transfer_id: t.id,
          created_at: now,
        })
        .execute();
    });
    return { id, object: 'refund', status: 'succeeded', amount, paymentId, createdAt: now.toISOString() };
  }

  /** A refund as its merchant sees it. */
  async function getRefund(merchantId: string, id: string): Promise<Refund> {
    const row = await deps.db
      .selectFrom('refunds')
      .selectAll()
      .where('id', '=', id)
      .where('merchant_id', '=', merchantId)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no refund ${id}`);
    return toRefund(row);
  }

  return {
    createMerchant,
    authenticateMerchant,
    getMerchant,
    createPayment,
    confirmPayment,
    expireUnconfirmed,
    getPayment,
    refund,
    getRefund,
  };
}
export type Payments = ReturnType<typeof createPayments>;

export function toPayment(r: Selectable<PaymentsTable>): Payment {
  return {
    id: r.id,
    object: 'payment',
    status: r.status,
    amount: yen(r.amount),
    amountRefunded: yen(r.refunded),
    merchantId: r.merchant_id,
    ...(r.description ? { description: r.description } : {}),
    ...(r.reference ? { reference: r.reference } : {}),
    ...(r.failure_code ? { failureCode: r.failure_code } : {}),
    risk: riskFromColumn(r.risk),
    ...(r.status === 'requires_action' ? { nextAction: nextActionFor('payments', r.id) } : {}),
    createdAt: new Date(r.created_at).toISOString(),
  };
}
export function toRefund(r: Selectable<RefundsTable>): Refund {
  return {
    id: r.id,
    object: 'refund',
    status: r.status,
    amount: yen(r.amount),
    paymentId: r.payment_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
