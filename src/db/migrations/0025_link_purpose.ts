import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * bank_links.purpose (src/banks owns it): what the link may be used for. `charges_and_withdrawals` (every link so
 * far, the default) or `withdrawals`: a link added only to receive withdrawals, never debited for a charge. Adding one
 * changes where withdrawals go, so it becomes the withdrawal account (with its cooling-off) when it turns active.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE bank_links ADD COLUMN purpose text NOT NULL DEFAULT 'charges_and_withdrawals'
      CONSTRAINT bank_links_purpose_check CHECK (purpose IN ('charges_and_withdrawals','withdrawals'));
  `,
  );
}
