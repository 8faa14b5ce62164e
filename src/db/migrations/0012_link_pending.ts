import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * At most one link authorization in progress per bank account: a burst of new links to one account cannot
 * multiply the guesses at its PIN. Older duplicates (from before this rule) are closed first. The table
 * login_throttle is replaced by attempt_counters (src/attempts) and dropped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    UPDATE bank_links SET status = 'failed', failure_code = 'authorization_expired', attempts_left = 0
      WHERE status = 'pending_authorization'
        AND id NOT IN (SELECT max(id) FROM bank_links WHERE status = 'pending_authorization' GROUP BY bank_code, branch_code, account_number);
    CREATE UNIQUE INDEX bank_links_one_pending_per_account ON bank_links (bank_code, branch_code, account_number)
      WHERE status = 'pending_authorization';
    DROP TABLE login_throttle;
  `,
  );
}
