import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Every charge, payment, transfer and withdrawal keeps the risk decision it was created under (`risk`: JSON text
 * `{decision, score, reasons: [{rule, message}], ruleSetVersion}`), written in the same insert as the object. Rows
 * from before the engine have NULL, shown as allow / 0 / no reasons / rule set version 0. Payments can now wait
 * (a risk challenge or review), so they get a `failure_code` like the other money objects (a payment left
 * unconfirmed fails with `confirmation_expired`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE charges ADD COLUMN risk text;
    ALTER TABLE wallet_transfers ADD COLUMN risk text;
    ALTER TABLE withdrawals ADD COLUMN risk text;
    ALTER TABLE payments ADD COLUMN risk text;
    ALTER TABLE payments ADD COLUMN failure_code text;
  `,
  );
}
