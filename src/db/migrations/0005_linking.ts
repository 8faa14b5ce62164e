import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/** Linking: bank authorization attempts, PIN failure counters, holder notices, unauthorized reports. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(db, `
    ALTER TABLE bank_links ADD COLUMN failure_code text;
  `);
}
