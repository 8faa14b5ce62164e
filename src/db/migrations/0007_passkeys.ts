import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/** Passkeys (WebAuthn credentials) and the one-time challenges of their ceremonies. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE passkeys (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id),
      public_key text NOT NULL,
      counter bigint NOT NULL DEFAULT 0,
      transports text NOT NULL DEFAULT '[]',
      created_at timestamptz NOT NULL,
      last_used_at timestamptz
    );
    CREATE INDEX passkeys_user ON passkeys (user_id);
    CREATE TABLE webauthn_challenges (
      user_id text NOT NULL REFERENCES users(id),
      purpose text NOT NULL CHECK (purpose IN ('register','step_up')),
      challenge text NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, purpose)
    );
  `,
  );
}
