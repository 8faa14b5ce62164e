import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Money confirmation (requires_action) for transfers and withdrawals: a transfer that waits for its second
 * factor holds its money as a pending ledger transfer and fails with `confirmation_expired` after 15 minutes,
 * so transfers get a failure code. The partial indexes serve the expiry job and the "waiting objects" sums.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE wallet_transfers ADD COLUMN failure_code text;
    CREATE INDEX wallet_transfers_waiting ON wallet_transfers (created_at) WHERE status = 'requires_action';
    CREATE INDEX withdrawals_waiting ON withdrawals (created_at) WHERE status = 'requires_action';
    CREATE INDEX charges_waiting ON charges (user_id, created_at) WHERE status = 'requires_action';
  `,
  );
}
