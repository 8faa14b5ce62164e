import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * An idempotency record can name the object it created (`object_id`, e.g. `chg_…`): the record is written in the
 * same transaction as the object's first row, so a retry after a crash finds the object and answers from it
 * instead of waiting out a stuck `in_flight` key. `in_flight` now means "the object exists, its final answer is
 * not stored yet".
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE idempotency_keys ADD COLUMN object_id text;
  `,
  );
}
