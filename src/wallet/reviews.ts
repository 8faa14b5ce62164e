import type { Transaction } from 'kysely';
import type { DB } from '../db/index.ts';

/**
 * Charges on the given links that are not final yet (at the bank, or waiting for a factor) are held for an
 * analyst: `in_review`, their ledger holds left pending so the money can be neither spent nor lost. Runs in the
 * caller's transaction (the "this wasn't me" report). Returns the charges held.
 */
export async function holdChargesForReview(trx: Transaction<DB>, linkIds: string[], at: Date): Promise<string[]> {
  if (linkIds.length === 0) return [];
  const held = await trx
    .updateTable('charges')
    .set({ status: 'in_review', updated_at: at })
    .where('bank_link_id', 'in', linkIds)
    .where('status', 'in', ['pending', 'requires_action'])
    .returning('id')
    .execute();
  return held.map((h) => h.id);
}
