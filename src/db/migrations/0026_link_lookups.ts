import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Three lookups by link or device that read whole tables: the bank accounts a device tried in the last hour (the
 * PIN-spray signal, on every link attempt), whether a link was ever charged (every charge) and ever withdrawn to
 * (every withdrawal). They cost nothing on a small database and grew with it: in a 3,000-user simulated month they
 * took 0.7–0.8 ms where the same statements took 0.4–0.6 ms at 1,000 users, the one part of a run that grew
 * faster than the number of people.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE INDEX bank_links_device ON bank_links (device_id, created_at);
    CREATE INDEX charges_link ON charges (bank_link_id);
    CREATE INDEX withdrawals_link ON withdrawals (bank_link_id);
  `,
  );
}
