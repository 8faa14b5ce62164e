import type { Transaction } from 'kysely';
import { type DB, isCheckViolation, isUniqueViolation } from '../db/index.ts';
import type { Alongside } from '../ledger/index.ts';
import { type Yen, yen } from '../money/index.ts';
import { AppError } from '../platform/index.ts';
import type { Actor, Payment, Refund } from '../wallet/index.ts';
import type { MerchantAccounts } from './onboarding.ts';
import * as repo from './repository.ts';
import type { MerchantsDeps, PaymentRequest } from './types.ts';

/** A request lives at most this long. */
export const MAX_REQUEST_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

type RequestRow = NonNullable<Awaited<ReturnType<typeof repo.findRequest>>>;

/** Why a request cannot be paid (or undefined when it can). */
function refusal(r: RequestRow, now: Date): AppError | undefined {
  if (r.status === 'paid')
    return new AppError('payment_request_paid', 'the payment request was paid already', { paymentId: r.payment_id });
  if (r.status === 'cancelled')
    return new AppError('payment_request_cancelled', 'the merchant cancelled the payment request');
  const expiresAt = new Date(r.expires_at);
  if (expiresAt <= now)
    return new AppError('payment_request_expired', 'the payment request has expired', {
      expiresAt: expiresAt.toISOString(),
    });
  return undefined;
}

/** Payment requests: a merchant asks for an amount, a wallet pays it by id, once. */
export function createPaymentRequests(deps: MerchantsDeps, accounts: MerchantAccounts) {
  async function create(
    merchantId: string,
    input: { amount: Yen; reference: string; expiresAt: Date },
  ): Promise<PaymentRequest> {
    const now = deps.clock.now();
    const life = input.expiresAt.getTime() - now.getTime();
    if (life <= 0 || life > MAX_REQUEST_LIFETIME_MS)
      throw new AppError('invalid_request', 'expiresAt must be in the future and at most 30 days away', {
        field: 'expiresAt',
      });
    await accounts.assertMayReceive(merchantId);
    const row = {
      id: deps.newId('prq'),
      merchant_id: merchantId,
      amount: input.amount,
      reference: input.reference,
      status: 'open' as const,
      payment_id: null,
      expires_at: input.expiresAt,
      paid_at: null,
      cancelled_at: null,
      created_at: now,
    };
    try {
      await deps.db.insertInto('payment_requests').values(row).execute();
    } catch (e) {
      if (!isUniqueViolation(e, 'payment_requests_reference')) throw e;
      const existing = await deps.db
        .selectFrom('payment_requests')
        .select('id')
        .where('merchant_id', '=', merchantId)
        .where('reference', '=', input.reference)
        .executeTakeFirst();
      throw new AppError('invalid_state', 'a payment request with this reference exists', { id: existing?.id });
    }
    return repo.toRequest(row, now);
  }

  /** A request as its merchant sees it, or (no merchantId) as any signed-in wallet about to pay it. */
  async function get(id: string, merchantId?: string): Promise<PaymentRequest> {
    const r = await repo.findRequest(deps.db, id);
    if (!r || (merchantId !== undefined && r.merchant_id !== merchantId))
      throw new AppError('not_found', `no payment request ${id}`);
    return repo.toRequest(r, deps.clock.now());
  }

  async function cancel(merchantId: string, id: string): Promise<PaymentRequest> {
    const done = await deps.db
      .updateTable('payment_requests')
      .set({ status: 'cancelled', cancelled_at: deps.clock.now() })
      .where('id', '=', id)
      .where('merchant_id', '=', merchantId)
      .where('status', '=', 'open')
      .returningAll()
      .executeTakeFirst();
    if (done) return repo.toRequest(done, deps.clock.now());
    const r = await get(id, merchantId);
    throw new AppError('invalid_state', `the payment request is ${r.status}`, { status: r.status });
  }

  /**
   * Pays a request from the actor's wallet with an ordinary payment (limits, the risk engine, the idempotency
   * record in `alongside`); the request is marked paid in the payment's own statement (repository.markPaidStatement),
   * so of any number of concurrent payers exactly one succeeds and the others change nothing.
   */
  async function pay(
    actor: Actor,
    id: string,
    alongside: (payment: Payment) => Alongside[] = () => [],
  ): Promise<Payment> {
    const r = await repo.findRequest(deps.db, id);
    if (!r) throw new AppError('not_found', `no payment request ${id}`);
    const refused = refusal(r, deps.clock.now());
    if (refused) throw refused;
    await accounts.assertMayReceive(r.merchant_id);
    const now = deps.clock.now();
    const webhooks = deps.webhooks;
    const announce = webhooks
      ? async (trx: Transaction<DB>, p: Payment) => {
          if (p.status !== 'succeeded') return;
          await webhooks.emit(trx, {
            owner: r.merchant_id,
            type: 'payment_request.paid',
            data: {
              paymentRequestId: r.id,
              paymentId: p.id,
              amount: p.amount,
              reference: r.reference,
              paidAt: now.toISOString(),
            },
            idempotencyKey: `payment_request.paid:${r.id}`,
          });
        }
      : undefined;
    try {
      return await deps.payments.createPayment(
        actor,
        { merchantId: r.merchant_id, amount: yen(r.amount), reference: r.reference },
        (payment) => [repo.markPaidStatement(deps.db, r.id, payment.id, now), ...alongside(payment)],
        announce,
      );
    } catch (e) {
      // Whichever of the request's constraints the database checks first.
      const lost = ['payment_requests_status', 'payment_requests_paid_once'].some((c) => isCheckViolation(e, c));
      if (!lost && !isUniqueViolation(e, 'payment_requests_payment_id_key')) throw e;
      // Another payer (or the merchant's cancel, or the clock) got there first: say which.
      const now2 = await repo.findRequest(deps.db, id);
      throw (
        (now2 && refusal(now2, deps.clock.now())) ??
        new AppError('invalid_state', 'the payment request can no longer be paid')
      );
    }
  }

  /** A merchant's refund, announced to its webhooks in the refund's transaction. */
  async function refund(
    merchantId: string,
    paymentId: string,
    amount: Yen,
    alongside?: (trx: Transaction<DB>, refundId: string) => Promise<void>,
  ): Promise<Refund> {
    const webhooks = deps.webhooks;
    return deps.payments.refund(merchantId, paymentId, amount, async (trx, refundId) => {
      await alongside?.(trx, refundId);
      await webhooks?.emit(trx, {
        owner: merchantId,
        type: 'payment.refunded',
        data: { refundId, paymentId, amount },
        idempotencyKey: `payment.refunded:${refundId}`,
      });
    });
  }

  return { create, get, cancel, pay, refund };
}
export type PaymentRequests = ReturnType<typeof createPaymentRequests>;
