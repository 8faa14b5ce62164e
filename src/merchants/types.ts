import type { Kysely, Transaction } from 'kysely';
import type { BankAccountRef } from '../banks/index.ts';
import type { DB } from '../db/index.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Clock, NewId } from '../platform/index.ts';
import type { Wallet } from '../wallet/index.ts';

export type PayoutAccount = BankAccountRef & { accountType: 'ordinary' | 'current' | 'savings' };

/** A merchant as operators see it (the payout account number masked to its last four digits). */
export interface Merchant {
  id: string;
  object: 'merchant';
  name: string;
  status: 'active' | 'suspended';
  legalNameKana: string | null;
  payoutAccount: {
    bankCode: string;
    branchCode: string;
    accountType: string;
    accountNumberLast4: string;
    nameMatchScore: number | null;
  } | null;
  webhookUrl: string | null;
  keyRotatedAt: string | null;
  previousKeyExpiresAt: string | null;
  suspendedAt: string | null;
  createdAt: string;
}

export type PaymentRequestStatus = 'open' | 'paid' | 'expired' | 'cancelled';

export interface PaymentRequest {
  id: string;
  object: 'payment_request';
  merchantId: string;
  status: PaymentRequestStatus;
  amount: number;
  reference: string;
  expiresAt: string;
  /** What the QR code encodes: `saifu://pay?r=<id>&a=<amount>&m=<merchantId>` (docs/api.md). */
  qr: string;
  paymentId: string | null;
  paidAt: string | null;
  createdAt: string;
}

export type MerchantEventType = 'payment_request.paid' | 'payment.refunded';

/** The webhooks port (the outbox, wired by the composition root): writes with `trx`, so an event exists iff it committed. */
export interface MerchantWebhooks {
  register(trx: Transaction<DB>, e: { owner: string; url: string; secret: string }): Promise<void>;
  emit(
    trx: Transaction<DB>,
    e: { owner: string; type: MerchantEventType; data: Record<string, unknown>; idempotencyKey: string },
  ): Promise<void>;
}

export interface MerchantsDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  ledger: Pick<Ledger, 'createAccount'>;
  /** The wallet's payments: a payment request is paid by an ordinary payment (limits, risk engine, idempotency). */
  payments: Pick<Wallet['payments'], 'createPayment' | 'refund'>;
  /** The account holder's name as the bank holds it (Zengin kana), or undefined when the bank has no such account. */
  payoutHolder: (account: BankAccountRef) => Promise<string | undefined>;
  /** The operators' audit chain, in the change's transaction. */
  audit: (
    trx: Transaction<DB>,
    e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
  ) => Promise<unknown>;
  /** Absent = no webhooks (the URL is still stored). */
  webhooks?: MerchantWebhooks;
  /** How long a rotated-out API key keeps working (default 24 h). */
  keyGraceMs?: number;
  /** The least name-match score (0–100) of the payout holder against the legal kana name (default 85). */
  nameMatchThreshold?: number;
}
