import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import { isRetryable } from './errors.ts';

/**
 * Runs `fn` in one transaction, retrying (a few times, with jitter) when PostgreSQL aborts it for a deadlock
 * or a serialization failure: such a transaction did nothing, so running it again is safe, and the client
 * never sees the database's contention.
 */
export async function inTransaction<T>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (e) {
      if (!isRetryable(e) || attempt >= attempts) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}
