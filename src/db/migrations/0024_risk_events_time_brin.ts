import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * risk_events grows with every scored event and is written on the payment path, where each index is a cost (the
 * bench measured the event row and its indexes as most of what the risk engine adds per payment). Events arrive in
 * time order, so a BRIN index (a few pages, near-free to maintain) serves the back-tests' time windows as well as
 * the btree did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    DROP INDEX risk_events_time;
    CREATE INDEX risk_events_time ON risk_events USING brin (occurred_at);
  `,
  );
}
