import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError, type Clock } from '../platform/index.ts';
import { sha256 } from './tokens.ts';

const MAX_FAILURES = 5;
/** Each lock lasts longer than the last: 1, 5, 15, 60 minutes, then 60 again. */
const LOCK_MINUTES = [1, 5, 15, 60];

/** One sign-in (or step-up) attempt, counted before its secret is checked; say how it ended. */
export interface Attempt {
  /** The secret was wrong; true when this failure locked the key (tell the owner). */
  failed(): Promise<boolean>;
  succeeded(): Promise<void>;
  /** Ended before any secret was judged wrong (e.g. mfa_required after a right password): not a failure. */
  uncounted(): Promise<void>;
}

/**
 * Consecutive failures per key (an email, whether or not an account has it, or a user id for step-up), kept
 * under a hash of the key so the lock, and its answer, are the same for existing and unknown emails.
 */
export function createLoginThrottle(deps: { db: Kysely<DB>; clock: Clock; scope?: string }) {
  const { db, clock } = deps;
  const keyOf = (email: string) => sha256(`${deps.scope ?? 'login'}:${email.trim().toLowerCase()}`);

  const lockedError = (until: Date) =>
    new AppError('too_many_attempts', 'too many failed attempts: try again later', { retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - clock.now().getTime()) / 1000)) });

  async function assertNotLocked(email: string): Promise<void> {
    const row = await db.selectFrom('login_throttle').select('locked_until').where('key', '=', keyOf(email)).executeTakeFirst();
    const until = row?.locked_until ? new Date(row.locked_until) : null;
    if (until && until > clock.now()) throw lockedError(until);
  }

  /**
   * Locks the key when it has reached the failure limit. Conditional on the count, so of several racing
   * attempts exactly one applies the lock (and the owner is told once). Returns the lock's end, if this set it.
   */
  async function lockIfDue(key: string): Promise<Date | undefined> {
    const row = await db.selectFrom('login_throttle').select('lock_count').where('key', '=', key).executeTakeFirst();
    const minutes = LOCK_MINUTES[Math.min(row?.lock_count ?? 0, LOCK_MINUTES.length - 1)] ?? 60;
    const until = new Date(clock.now().getTime() + minutes * 60_000);
    const done = await db
      .updateTable('login_throttle')
      .set({ failures: 0, lock_count: sql<number>`lock_count + 1`, locked_until: until })
      .where('key', '=', key)
      .where('failures', '>=', MAX_FAILURES)
      .returning('key')
      .executeTakeFirst();
    return done ? until : undefined;
  }

  /** Counts one failure atomically; returns true when this failure locked the key. */
  async function recordFailure(email: string): Promise<boolean> {
    const key = keyOf(email);
    const row = await db
      .insertInto('login_throttle')
      .values({ key, failures: 1 })
      .onConflict((oc) => oc.column('key').doUpdateSet({ failures: sql<number>`login_throttle.failures + 1` }))
      .returning('failures')
      .executeTakeFirstOrThrow();
    return row.failures >= MAX_FAILURES && (await lockIfDue(key)) !== undefined;
  }

  async function recordSuccess(email: string): Promise<void> {
    await db.updateTable('login_throttle').set({ failures: 0 }).where('key', '=', keyOf(email)).execute();
  }

  /**
   * Takes an attempt before the secret is checked (throws too_many_attempts while locked). Counting first
   * means parallel guesses cannot all pass a lock check made before any of them had failed: the sixth
   * concurrent guess is refused unchecked, and locks the key. `onLock` runs once when a lock is set.
   */
  async function beginAttempt(email: string, onLock: () => Promise<void> = async () => {}): Promise<Attempt> {
    const key = keyOf(email);
    const now = clock.now();
    const row = await db
      .insertInto('login_throttle')
      .values({ key, failures: 1 })
      .onConflict((oc) => oc.column('key').doUpdateSet({ failures: sql<number>`CASE WHEN login_throttle.locked_until > ${now} THEN login_throttle.failures ELSE login_throttle.failures + 1 END` }))
      .returning(['failures', 'locked_until'])
      .executeTakeFirstOrThrow();
    const lockedUntil = row.locked_until ? new Date(row.locked_until) : null;
    if (lockedUntil && lockedUntil > now) throw lockedError(lockedUntil);
    const lock = async (): Promise<Date | undefined> => {
      const until = await lockIfDue(key);
      if (until) await onLock();
      return until;
    };
    if (row.failures > MAX_FAILURES) throw lockedError((await lock()) ?? new Date(now.getTime() + 60_000));
    return {
      failed: async () => row.failures >= MAX_FAILURES && (await lock()) !== undefined,
      succeeded: () => recordSuccess(email),
      uncounted: async () => {
        await db.updateTable('login_throttle').set({ failures: sql<number>`greatest(failures - 1, 0)` }).where('key', '=', key).execute();
      },
    };
  }

  return { assertNotLocked, recordFailure, recordSuccess, beginAttempt };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
