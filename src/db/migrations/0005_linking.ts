import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Linking: the authorization state of a link, the bank side's one-time codes and app approvals, PIN failures
 * counted per PIN value and per source (reverse brute force), how many wallets a bank account may serve, and
 * the cases opened when a holder reports a link or debit as unauthorized.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE bank_links ADD COLUMN failure_code text;
    ALTER TABLE bank_links ADD COLUMN auth_method text;
    ALTER TABLE bank_links ADD COLUMN auth_step text;
    ALTER TABLE bank_links ADD COLUMN attempts_left int NOT NULL DEFAULT 3;
    ALTER TABLE bank_links ADD COLUMN expires_at timestamptz;
    ALTER TABLE bank_links ADD COLUMN name_match_score int;
    ALTER TABLE bank_links ADD COLUMN device_id text;
    ALTER TABLE bank_links ADD COLUMN ip text;
    CREATE INDEX bank_links_account ON bank_links (bank_code, branch_code, account_number);
    -- Cooling-off for new links, per bank (NULL = the platform default).
    ALTER TABLE bank_settings ADD COLUMN cooling_off_days int CHECK (cooling_off_days >= 0);
    ALTER TABLE bank_settings ADD COLUMN new_link_daily_limit bigint CHECK (new_link_daily_limit >= 0);

    -- One row per bank account that has ever been linked: the database refuses more active links than allowed.
    CREATE TABLE linked_bank_accounts (
      bank_code text NOT NULL,
      branch_code text NOT NULL,
      account_number text NOT NULL,
      max_links int NOT NULL DEFAULT 1 CHECK (max_links >= 1),
      active_links int NOT NULL DEFAULT 0 CHECK (active_links >= 0),
      PRIMARY KEY (bank_code, branch_code, account_number),
      CONSTRAINT linked_bank_accounts_limit CHECK (active_links <= max_links)
    );

    -- PIN failures as Saifu sees them. The PIN is kept only as a keyed hash (HMAC with the server secret), so
    -- the same PIN tried across many accounts can be counted without the PIN being readable here.
    CREATE TABLE pin_failures (
      id bigserial PRIMARY KEY,
      pin_key text NOT NULL,
      bank_code text NOT NULL,
      account_key text NOT NULL,
      device_id text,
      ip text,
      user_id text,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX pin_failures_pin ON pin_failures (pin_key, created_at);
    CREATE INDEX pin_failures_device ON pin_failures (device_id, created_at);
    CREATE INDEX pin_failures_ip ON pin_failures (ip, created_at);

    CREATE TABLE sandbox_bank_otps (
      reference text PRIMARY KEY,
      bank_code text NOT NULL,
      phone text NOT NULL,
      code_hash text NOT NULL,
      attempts int NOT NULL DEFAULT 0,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );
    CREATE TABLE sandbox_approvals (
      id text PRIMARY KEY,
      reference text NOT NULL UNIQUE,
      bank_code text NOT NULL,
      branch_code text NOT NULL,
      account_number text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending','approved','denied')),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL
    );

    CREATE TABLE cases (
      id text PRIMARY KEY,
      kind text NOT NULL,
      status text NOT NULL DEFAULT 'open',
      bank_code text,
      branch_code text,
      account_number text,
      details text NOT NULL,
      created_at timestamptz NOT NULL
    );
  `,
  );
}
