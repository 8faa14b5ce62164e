import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/** Identity: MFA (TOTP, passkeys), step-up, login lockout, eKYC. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(db, `
    ALTER TABLE sessions ADD COLUMN elevated_until timestamptz;
  `);
}
