import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema.ts';

interface PgLikeError {
  code?: string;
  constraint?: string;
  message?: string;
}

const asPg = (e: unknown): PgLikeError => (typeof e === 'object' && e !== null ? (e as PgLikeError) : {});

/** Serialization failures and deadlocks are safe to retry: the transaction did nothing. */
export function isRetryable(e: unknown): boolean {
  const code = asPg(e).code;
  return code === '40001' || code === '40P01';
}

/** A unique index refused the write (optionally: that one, by name). Both drivers report the name. */
export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  const pg = asPg(e);
  if (pg.code !== '23505') return false;
  return constraint === undefined || pg.constraint === constraint || (pg.message ?? '').includes(constraint);
}

/** A CHECK constraint refused the write (optionally: that one, by name). */
export function isCheckViolation(e: unknown, constraint?: string): boolean {
  const pg = asPg(e);
  if (pg.code !== '23514') return false;
  return constraint === undefined || pg.constraint === constraint || (pg.message ?? '').includes(constraint);
}

/**
 * Runs `fn` in one transaction, retrying (a few times, with jitter) when PostgreSQL aborts it for a deadlock
 * or a serialization failure: such a transaction did nothing, so running it again is safe, and the client
 * never sees the database's contention. Every transaction in Saifu goes through here.
 */
export async function inTransaction<T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  attempts = 6,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (e) {
      if (!isRetryable(e) || attempt >= attempts) throw e;
      await backOff(attempt);
    }
  }
}

/** A short random pause before retrying a statement the database aborted (jitter spreads the retries). */
export function backOff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
}
