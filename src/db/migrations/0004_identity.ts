import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Identity: step-up state on sessions, TOTP (secret encrypted at rest, last used time step against replay),
 * login throttling keyed by a hash of the email (the same for existing and unknown emails), SMS step-up codes,
 * eKYC results, and the sandbox identity registry.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE sessions ADD COLUMN elevated_until timestamptz;
    ALTER TABLE users ADD COLUMN totp_secret text;
    ALTER TABLE users ADD COLUMN totp_pending_secret text;
    ALTER TABLE users ADD COLUMN totp_last_step bigint;

    CREATE TABLE login_throttle (
      key text PRIMARY KEY,
      failures int NOT NULL DEFAULT 0,
      lock_count int NOT NULL DEFAULT 0,
      locked_until timestamptz
    );
    CREATE TABLE step_up_codes (
      session_id text PRIMARY KEY REFERENCES sessions(id),
      code_hash text NOT NULL,
      attempts int NOT NULL DEFAULT 0,
      expires_at timestamptz NOT NULL
    );
    CREATE TABLE identity_verifications (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id),
      status text NOT NULL CHECK (status IN ('verified','rejected')),
      reasons text NOT NULL,
      family_name text NOT NULL,
      given_name text NOT NULL,
      family_name_kana text NOT NULL,
      given_name_kana text NOT NULL,
      birth_date date NOT NULL,
      address text NOT NULL,
      document_type text NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX identity_verifications_user ON identity_verifications (user_id, created_at);
    CREATE TABLE sandbox_identities (
      id text PRIMARY KEY,
      family_name text NOT NULL,
      given_name text NOT NULL,
      family_name_kana text NOT NULL,
      given_name_kana text NOT NULL,
      birth_date date NOT NULL,
      address text NOT NULL,
      document_type text NOT NULL,
      document_number text NOT NULL,
      face_token text NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (document_type, document_number)
    );
  `,
  );
}
