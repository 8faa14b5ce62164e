import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/** The sandbox identity registry can hold forged documents, so the provider's `document_forged` answer is testable. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE sandbox_identities ADD COLUMN forged boolean NOT NULL DEFAULT false;
  `,
  );
}
