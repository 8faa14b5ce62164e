import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, MerchantsTable } from '../db/index.ts';
import type { Merchant, PaymentRequest } from './types.ts';

type RequestRow = Selectable<DB['payment_requests']>;
const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export async function findMerchant(q: Kysely<DB>, id: string): Promise<Selectable<MerchantsTable> | undefined> {
  return q.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The current key, or the previous one while its grace period lasts. Suspended merchants authenticate too. */
export async function findByKeyHash(
  q: Kysely<DB>,
  hash: string,
  now: Date,
): Promise<{ id: string; name: string; status: 'active' | 'suspended' } | undefined> {
  return q
    .selectFrom('merchants')
    .select(['id', 'name', 'status'])
    .where((eb) =>
      eb.or([
        eb('api_key_hash', '=', hash),
        eb.and([eb('previous_key_hash', '=', hash), eb('previous_key_expires_at', '>', now)]),
      ]),
    )
    .executeTakeFirst();
}

export async function statusOf(q: Kysely<DB>, id: string): Promise<'active' | 'suspended' | undefined> {
  const r = await q.selectFrom('merchants').select('status').where('id', '=', id).executeTakeFirst();
  return r?.status;
}

export async function listMerchants(
  q: Kysely<DB>,
  o: { limit: number; startingAfter?: string },
): Promise<Array<Selectable<MerchantsTable>>> {
  let query = q
    .selectFrom('merchants')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(o.limit + 1);
  if (o.startingAfter) query = query.where('id', '<', o.startingAfter);
  return query.execute();
}

export async function findRequest(q: Kysely<DB>, id: string): Promise<RequestRow | undefined> {
  return q.selectFrom('payment_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The payment's companion statement: marks the request paid by `paymentId`. It always finds the row (by id) and
 * sets a status outside the CHECK list when the request is no longer open or has expired, so the statement it runs
 * in (the payment's) fails as a whole. A concurrent payer waits on the row lock and re-reads it: 'paid', so it fails.
 */
export function markPaidStatement(q: Kysely<DB>, id: string, paymentId: string, now: Date) {
  return q
    .updateTable('payment_requests')
    .set({
      status: sql<'paid'>`CASE WHEN status = 'open' AND expires_at > ${now} THEN 'paid' ELSE 'not_payable' END`,
      payment_id: paymentId,
      paid_at: now,
    })
    .where('id', '=', id);
}

export function toMerchant(r: Selectable<MerchantsTable>): Merchant {
  return {
    id: r.id,
    object: 'merchant',
    name: r.name,
    status: r.status,
    legalNameKana: r.legal_name_kana,
    payoutAccount:
      r.payout_bank_code && r.payout_branch_code && r.payout_account_number
        ? {
            bankCode: r.payout_bank_code,
            branchCode: r.payout_branch_code,
            accountType: r.payout_account_type ?? 'ordinary',
            accountNumberLast4: r.payout_account_number.slice(-4),
            nameMatchScore: r.payout_name_score,
          }
        : null,
    webhookUrl: r.webhook_url,
    keyRotatedAt: iso(r.key_rotated_at),
    previousKeyExpiresAt: iso(r.previous_key_expires_at),
    suspendedAt: iso(r.suspended_at),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** The QR code's text: what a wallet app needs to show the request before fetching it (docs/api.md). */
export const qrPayload = (r: { id: string; amount: number; merchant_id: string }): string =>
  `saifu://pay?r=${encodeURIComponent(r.id)}&a=${r.amount}&m=${encodeURIComponent(r.merchant_id)}`;

export function toRequest(r: RequestRow, now: Date): PaymentRequest {
  const expiresAt = new Date(r.expires_at);
  return {
    id: r.id,
    object: 'payment_request',
    merchantId: r.merchant_id,
    status: r.status === 'open' && expiresAt <= now ? 'expired' : r.status,
    amount: r.amount,
    reference: r.reference,
    expiresAt: expiresAt.toISOString(),
    qr: qrPayload(r),
    paymentId: r.payment_id,
    paidAt: iso(r.paid_at),
    createdAt: new Date(r.created_at).toISOString(),
  };
}
