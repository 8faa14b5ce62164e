import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * One identity document verifies one wallet (unless an operator allows more), and security changes need a step-up
 * with the factor the user already has.
 *
 * - identity_verifications.document_hash: a keyed hash (HMAC with the server secret) of the document's type and
 *   normalised number, never the number itself. A verified row takes a slot (1..the allowed number of wallets);
 *   the partial unique index on (document_hash, document_slot) makes two wallets racing with one document collide
 *   in the database, not only in an `if`.
 * - document_allowances: an operator's decision that one document may verify up to max_wallets wallets.
 * - factor_step_ups: until when a session is stepped up by TOTP or a passkey (an SMS step-up does not count);
 *   adding, changing or removing a factor, the phone, the email or the password needs it when the user has such
 *   a factor (with none yet, the SMS step-up is the only one there is).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE identity_verifications ADD COLUMN document_hash text;
    ALTER TABLE identity_verifications ADD COLUMN document_slot int CHECK (document_slot >= 1);
    ALTER TABLE identity_verifications ADD CONSTRAINT identity_verifications_verified_slot
      CHECK (status <> 'verified' OR document_hash IS NULL OR document_slot IS NOT NULL);
    CREATE UNIQUE INDEX identity_verifications_one_wallet_per_document
      ON identity_verifications (document_hash, document_slot) WHERE status = 'verified';
    CREATE INDEX identity_verifications_document ON identity_verifications (document_hash);
    CREATE TABLE document_allowances (
      document_hash text PRIMARY KEY,
      max_wallets int NOT NULL CHECK (max_wallets >= 1 AND max_wallets <= 10),
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
      operator_id text NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE TABLE factor_step_ups (
      session_id text PRIMARY KEY REFERENCES sessions(id),
      factor text NOT NULL CHECK (factor IN ('totp','passkey')),
      until timestamptz NOT NULL
    );
  `,
  );
}
