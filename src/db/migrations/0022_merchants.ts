import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Merchants in production (src/merchants owns these columns and tables): onboarding (payout account checked
 * against the legal kana name, webhook URL), API key rotation (the previous key's hash kept with an expiry: the
 * grace period), suspension; and payment requests, paid at most once. `payment_requests.status` is changed to
 * 'paid' by a conditional expression in the payment's own statement: a request that is not open (or has expired)
 * gets a value outside the CHECK list, so the whole statement, money included, fails.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE merchants
      ADD COLUMN status text NOT NULL DEFAULT 'active' CONSTRAINT merchants_status CHECK (status IN ('active','suspended')),
      ADD COLUMN legal_name_kana text,
      ADD COLUMN payout_bank_code text,
      ADD COLUMN payout_branch_code text,
      ADD COLUMN payout_account_type text CHECK (payout_account_type IN ('ordinary','current','savings')),
      ADD COLUMN payout_account_number text CHECK (payout_account_number ~ '^[0-9]{7}$'),
      ADD COLUMN payout_name_score integer,
      ADD COLUMN webhook_url text,
      ADD COLUMN previous_key_hash text,
      ADD COLUMN previous_key_expires_at timestamptz,
      ADD COLUMN key_rotated_at timestamptz,
      ADD COLUMN suspended_at timestamptz,
      ADD COLUMN onboarded_by text,
      ADD CONSTRAINT merchants_previous_key CHECK ((previous_key_hash IS NULL) = (previous_key_expires_at IS NULL)),
      ADD CONSTRAINT merchants_suspended CHECK ((status = 'suspended') = (suspended_at IS NOT NULL));
    CREATE UNIQUE INDEX merchants_previous_key_hash ON merchants (previous_key_hash) WHERE previous_key_hash IS NOT NULL;
    CREATE TABLE payment_requests (
      id text PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants(id),
      amount int8 NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
      reference text NOT NULL,
      status text NOT NULL CONSTRAINT payment_requests_status CHECK (status IN ('open','paid','cancelled')),
      payment_id text UNIQUE REFERENCES payments(id),
      expires_at timestamptz NOT NULL,
      paid_at timestamptz,
      cancelled_at timestamptz,
      created_at timestamptz NOT NULL,
      CONSTRAINT payment_requests_paid_once CHECK ((status = 'paid') = (payment_id IS NOT NULL AND paid_at IS NOT NULL)),
      CONSTRAINT payment_requests_expiry CHECK (expires_at > created_at)
    );
    CREATE UNIQUE INDEX payment_requests_reference ON payment_requests (merchant_id, reference);
    CREATE INDEX payment_requests_merchant ON payment_requests (merchant_id, id);
  `,
  );
}
