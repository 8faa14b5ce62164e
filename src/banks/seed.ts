import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Clock } from '../platform/index.ts';
import { PARTICIPATING_BANKS } from './registry/index.ts';

/**
 * Registers the 35 banks of the 2020 service as participating, each with its authentication method. Runs at
 * every start; rows that exist are left alone, so operators' switches and limits survive restarts.
 */
export async function seedParticipatingBanks(db: Kysely<DB>, clock: Clock): Promise<number> {
  const rows = PARTICIPATING_BANKS.map((b) => ({
    bank_code: b.code,
    participating: true,
    auth_method: b.authMethod,
    linking: true,
    charging: true,
    registration_changes: true,
    updated_at: clock.now(),
  }));
  const r = await db
    .insertInto('bank_settings')
    .values(rows)
    .onConflict((oc) => oc.column('bank_code').doNothing())
    .returning('bank_code')
    .execute();
  return r.length;
}
