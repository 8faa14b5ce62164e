import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/** Users, sessions, merchants, bank links, the money objects the API returns, and idempotency records. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE users (
      id text PRIMARY KEY,
      email text NOT NULL UNIQUE,
      phone text NOT NULL UNIQUE,
      password_hash text NOT NULL,
      phone_confirmed_at timestamptz,
      verification text NOT NULL DEFAULT 'unverified' CHECK (verification IN ('unverified','pending','verified','rejected')),
      frozen_at timestamptz,
      created_at timestamptz NOT NULL
    );
    CREATE TABLE sessions (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id),
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    );
    CREATE TABLE phone_codes (
      user_id text PRIMARY KEY REFERENCES users(id),
      code_hash text NOT NULL,
      attempts int NOT NULL DEFAULT 0,
      expires_at timestamptz NOT NULL
    );
    -- The wallet row is the per-user lock for limit checks: charges take it FOR UPDATE so that concurrent
    -- charges see each other's holds.
    CREATE TABLE wallets (
      user_id text PRIMARY KEY REFERENCES users(id),
      account_id text NOT NULL UNIQUE REFERENCES ledger_accounts(id),
      created_at timestamptz NOT NULL
    );
    CREATE TABLE merchants (
      id text PRIMARY KEY,
      name text NOT NULL,
      account_id text NOT NULL UNIQUE REFERENCES ledger_accounts(id),
      api_key_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL
    );
    CREATE TABLE bank_links (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id),
      bank_code text NOT NULL,
      branch_code text NOT NULL,
      account_type text NOT NULL CHECK (account_type IN ('ordinary','current','savings')),
      account_number text NOT NULL CHECK (account_number ~ '^[0-9]{7}$'),
      status text NOT NULL CHECK (status IN ('pending_authorization','active','failed','frozen','unlinked')),
      activated_at timestamptz,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX bank_links_user ON bank_links (user_id);
    CREATE TABLE charges (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id),
      bank_link_id text NOT NULL REFERENCES bank_links(id),
      bank_code text NOT NULL,
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
      status text NOT NULL CHECK (status IN ('succeeded','pending','requires_action','in_review','failed','reversed')),
      failure_code text,
      hold_id text REFERENCES ledger_transfers(id),
      bank_reference text NOT NULL UNIQUE,
      bank_called_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX charges_user_created ON charges (user_id, created_at);
    CREATE INDEX charges_pending ON charges (status, bank_called_at) WHERE status = 'pending';
    CREATE TABLE payments (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id),
      merchant_id text NOT NULL REFERENCES merchants(id),
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
      refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
      status text NOT NULL,
      description text,
      reference text,
      transfer_id text NOT NULL REFERENCES ledger_transfers(id),
      created_at timestamptz NOT NULL
    );
    CREATE INDEX payments_user_created ON payments (user_id, created_at);
    CREATE TABLE wallet_transfers (
      id text PRIMARY KEY,
      from_user_id text NOT NULL REFERENCES users(id),
      to_user_id text NOT NULL REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
      status text NOT NULL,
      message text,
      transfer_id text NOT NULL REFERENCES ledger_transfers(id),
      created_at timestamptz NOT NULL,
      CHECK (from_user_id <> to_user_id)
    );
    CREATE INDEX wallet_transfers_from ON wallet_transfers (from_user_id, created_at);
    CREATE INDEX wallet_transfers_to ON wallet_transfers (to_user_id, created_at);
    CREATE TABLE withdrawals (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id),
      bank_link_id text NOT NULL REFERENCES bank_links(id),
      bank_code text NOT NULL,
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
      status text NOT NULL CHECK (status IN ('succeeded','pending','requires_action','in_review','failed','reversed')),
      failure_code text,
      hold_id text REFERENCES ledger_transfers(id),
      bank_reference text NOT NULL UNIQUE,
      bank_called_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX withdrawals_user_created ON withdrawals (user_id, created_at);
    CREATE INDEX withdrawals_pending ON withdrawals (status, bank_called_at) WHERE status = 'pending';
    CREATE TABLE refunds (
      id text PRIMARY KEY,
      payment_id text NOT NULL REFERENCES payments(id),
      merchant_id text NOT NULL REFERENCES merchants(id),
      user_id text NOT NULL REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
      status text NOT NULL,
      transfer_id text NOT NULL REFERENCES ledger_transfers(id),
      created_at timestamptz NOT NULL
    );
    CREATE INDEX refunds_user_created ON refunds (user_id, created_at);
    CREATE TABLE idempotency_keys (
      scope text NOT NULL,
      key text NOT NULL,
      request_hash text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_flight','done')),
      response_status int,
      response_body text,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (scope, key)
    );
    CREATE TABLE bank_settings (
      bank_code text PRIMARY KEY,
      participating boolean NOT NULL DEFAULT false,
      auth_method text,
      linking boolean NOT NULL DEFAULT true,
      charging boolean NOT NULL DEFAULT true,
      registration_changes boolean NOT NULL DEFAULT true,
      per_charge_limit bigint,
      monthly_limit bigint,
      updated_at timestamptz NOT NULL
    );
  `,
  );
}
