import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Attempt counters (src/attempts/): one row per counted key (a PIN value's hash, an IP, a user's step-up, an
 * SMS code…). A guess is consumed by an atomic upsert on its row before the secret is checked, so parallel
 * requests cannot all read the same count. Also the security hold a user carries after changing a factor,
 * phone, email or password: outgoing transfers and withdrawals wait until it ends.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE attempt_counters (
      key text PRIMARY KEY,
      used int NOT NULL CHECK (used >= 0),
      window_ends timestamptz NOT NULL,
      locked_until timestamptz,
      locks int NOT NULL DEFAULT 0 CHECK (locks >= 0)
    );
    CREATE INDEX attempt_counters_expiry ON attempt_counters (window_ends);
    ALTER TABLE users ADD COLUMN security_hold_until timestamptz;
  `,
  );
}
