import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Operator security: a TOTP second factor per operator (the seed sealed with the server key, like users'; the
 * last accepted time step so a code is good once), the `bank` role scoped to one bank code (role = 'bank' if and
 * only if bank_code is set), and four-eyes approvals (a second operator, never the requester, decides; the
 * decision, the action it runs and its audit record are one transaction).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE operators ADD COLUMN totp_secret text;
    ALTER TABLE operators ADD COLUMN totp_last_step bigint;
    ALTER TABLE operators ADD COLUMN bank_code text CHECK (bank_code ~ '^[0-9]{4}$');
    ALTER TABLE operators DROP CONSTRAINT operators_role_check;
    ALTER TABLE operators ADD CONSTRAINT operators_role_check
      CHECK (role IN ('support','fraud_analyst','compliance','admin','bank'));
    ALTER TABLE operators ADD CONSTRAINT operators_bank_scope
      CHECK ((role = 'bank') = (bank_code IS NOT NULL));

    CREATE TABLE approvals (
      id text PRIMARY KEY,
      action text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
      target text NOT NULL,
      payload text NOT NULL,
      requested_by text NOT NULL,
      reason text NOT NULL CHECK (length(reason) > 0),
      status text NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested','approved','rejected','executed','failed')),
      decided_by text,
      decision_note text,
      result text,
      requested_at timestamptz NOT NULL,
      decided_at timestamptz,
      CONSTRAINT approvals_four_eyes CHECK (decided_by IS NULL OR decided_by <> requested_by),
      CONSTRAINT approvals_decided CHECK ((status = 'requested') = (decided_by IS NULL))
    );
    CREATE INDEX approvals_status ON approvals (status, id);
    CREATE INDEX approvals_action ON approvals (action, id);
    -- One open request per action and target: asking twice gives the open one back.
    CREATE UNIQUE INDEX approvals_one_open ON approvals (action, target) WHERE status = 'requested';
  `,
  );
}
