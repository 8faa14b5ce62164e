import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError, type Clock } from '../platform/index.ts';
import { sha256 } from './tokens.ts';

const MAX_FAILURES = 5;
/** Each lock lasts longer than the last: 1, 5, 15, 60 minutes, then 60 again. */
const LOCK_MINUTES = [1, 5, 15, 60];

/**
 * Consecutive failed sign-ins per email, kept under a hash of the email whether or not an account has it, so
 * the lock (and its answer) is the same for existing and unknown emails: the response tells nothing.
 */
export function createLoginThrottle(deps: { db: Kysely<DB>; clock: Clock; scope?: string }) {
  const keyOf = (email: string) => sha256(`${deps.scope ?? 'login'}:${email.trim().toLowerCase()}`);

  async function assertNotLocked(email: string): Promise<void> {
    const row = await deps.db.selectFrom('login_throttle').select('locked_until').where('key', '=', keyOf(email)).executeTakeFirst();
    const until = row?.locked_until ? new Date(row.locked_until) : null;
    if (until && until > deps.clock.now()) {
      const retryAfterSeconds = Math.ceil((until.getTime() - deps.clock.now().getTime()) / 1000);
      throw new AppError('too_many_attempts', 'too many failed sign-ins: try again later', { retryAfterSeconds });
    }
  }

  /** Counts a failure; returns true when this failure locked the email. */
  async function recordFailure(email: string): Promise<boolean> {
    const key = keyOf(email);
    const row = await deps.db.selectFrom('login_throttle').selectAll().where('key', '=', key).executeTakeFirst();
    const failures = (row?.failures ?? 0) + 1;
    const lock = failures >= MAX_FAILURES;
    const lockCount = (row?.lock_count ?? 0) + (lock ? 1 : 0);
    const minutes = LOCK_MINUTES[Math.min(lockCount, LOCK_MINUTES.length) - 1] ?? 1;
    const values = { failures: lock ? 0 : failures, lock_count: lockCount, locked_until: lock ? new Date(deps.clock.now().getTime() + minutes * 60_000) : (row?.locked_until ?? null) };
    await deps.db.insertInto('login_throttle').values({ key, ...values }).onConflict((oc) => oc.column('key').doUpdateSet(values)).execute();
    return lock;
  }

  async function recordSuccess(email: string): Promise<void> {
    await deps.db.updateTable('login_throttle').set({ failures: 0 }).where('key', '=', keyOf(email)).execute();
  }

  return { assertNotLocked, recordFailure, recordSuccess };
}
