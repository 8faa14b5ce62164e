import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/** The sandbox world: simulated bank accounts and their statements, bank operations by reference, faults, messages. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE sandbox_bank_accounts (
      bank_code text NOT NULL,
      branch_code text NOT NULL,
      account_number text NOT NULL,
      account_type text NOT NULL,
      holder_name_kana text NOT NULL,
      birth_date date NOT NULL,
      pin_hash text NOT NULL,
      phone text NOT NULL,
      balance bigint NOT NULL CHECK (balance >= 0),
      pin_failures int NOT NULL DEFAULT 0,
      locked_at timestamptz,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (bank_code, branch_code, account_number)
    );
    -- One row per bank-side reference: debits and credits are idempotent by it, and an inquiry that finds no
    -- operation records a refusal so a late-arriving request with that reference can never apply afterwards.
    CREATE TABLE sandbox_bank_operations (
      reference text PRIMARY KEY,
      bank_code text NOT NULL,
      branch_code text NOT NULL,
      account_number text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('debit','credit')),
      amount bigint NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('succeeded','declined','cancelled')),
      decline_code text,
      created_at timestamptz NOT NULL
    );
    CREATE TABLE sandbox_statement_lines (
      id bigserial PRIMARY KEY,
      bank_code text NOT NULL,
      branch_code text NOT NULL,
      account_number text NOT NULL,
      reference text NOT NULL,
      descriptor text NOT NULL,
      amount bigint NOT NULL,
      balance_after bigint NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX sandbox_statement_account ON sandbox_statement_lines (bank_code, branch_code, account_number);
    CREATE TABLE sandbox_faults (
      bank_code text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('timeout','decline','duplicate','down')),
      rate double precision NOT NULL CHECK (rate >= 0 AND rate <= 1),
      PRIMARY KEY (bank_code, kind)
    );
    CREATE TABLE sandbox_messages (
      id text PRIMARY KEY,
      recipient text NOT NULL,
      channel text NOT NULL CHECK (channel IN ('sms','email','bank_notice')),
      body text NOT NULL,
      code text,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX sandbox_messages_to ON sandbox_messages (recipient, created_at);
  `,
  );
}
