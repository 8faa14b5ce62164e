import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Links scored by the risk engine: a link may be held for review (`in_review`: authenticated by the bank, not
 * usable for charges until an analyst approves it), and stores the decision of its link attempt (`risk`, JSON:
 * decision, score, reasons, ruleSetVersion; NULL for links from before, shown as allow/0).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE bank_links DROP CONSTRAINT bank_links_status_check;
    ALTER TABLE bank_links ADD CONSTRAINT bank_links_status_check
      CHECK (status IN ('pending_authorization','active','failed','frozen','unlinked','in_review'));
    ALTER TABLE bank_links ADD COLUMN risk text;
  `,
  );
}
