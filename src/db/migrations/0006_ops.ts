import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/** Operations: operators and roles, the hash-chained audit log, per-bank switch history. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(db, `
    CREATE TABLE bank_switch_changes (
      id text PRIMARY KEY,
      bank_code text NOT NULL,
      changes text NOT NULL,
      reason text NOT NULL CHECK (length(reason) > 0),
      actor text NOT NULL,
      created_at timestamptz NOT NULL
    );
  `);
}
