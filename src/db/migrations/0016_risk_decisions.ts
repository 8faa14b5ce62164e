import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Every charge, transfer and withdrawal keeps the risk decision it was created under (`risk`: JSON text
 * `{decision, score, reasons: [{rule, message}], ruleSetVersion}`), written in the same insert as the object. Rows
 * from before the engine have NULL, shown as allow / 0 / no reasons / rule set version 0.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE charges ADD COLUMN risk text;
    ALTER TABLE wallet_transfers ADD COLUMN risk text;
    ALTER TABLE withdrawals ADD COLUMN risk text;
  `,
  );
}
