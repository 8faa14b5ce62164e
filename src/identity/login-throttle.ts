import type { Kysely } from 'kysely';
import { type Budget, counterKey, createAttemptCounter } from '../attempts/index.ts';
import type { DB } from '../db/index.ts';
import type { Clock } from '../platform/index.ts';

const MAX_FAILURES = 5;
/** Each lock lasts longer than the last: 1, 5, 15, 60 minutes, then 60 again. */
const LOCK_MS = [1, 5, 15, 60].map((m) => m * 60_000);
/** Failures further apart than this no longer add up. */
const WINDOW_MS = 24 * 60 * 60 * 1000;

/** One sign-in (or step-up) attempt, taken before its secret is checked; say how it ended. */
export interface Attempt {
  /** The secret was wrong; true when this failure locked the key (tell the owner). */
  failed(): Promise<boolean>;
  succeeded(): Promise<void>;
  /** Ended before any secret was judged wrong (e.g. mfa_required after a right password): not a failure. */
  uncounted(): Promise<void>;
}

/**
 * Consecutive failures per key (an email, whether or not an account has it, or a user id for step-up) on the
 * shared attempt counter: five in a row lock the key, and the lock and its answer are the same for existing and
 * unknown emails. The attempt is taken before the password or code is checked, so parallel guesses cannot all
 * pass a lock check made before any of them failed: the sixth concurrent guess is refused unchecked.
 */
export function createLoginThrottle(deps: { db: Kysely<DB>; clock: Clock; scope?: string }) {
  const counter = createAttemptCounter(deps);
  const budgetOf = (email: string): Budget => ({
    key: counterKey(deps.scope ?? 'login', email.trim().toLowerCase()),
    max: MAX_FAILURES,
    windowMs: WINDOW_MS,
    lockMs: LOCK_MS,
    onSuccess: 'reset',
  });

  /** Throws too_many_attempts (429) while the key is locked or its attempts are all in flight. */
  async function beginAttempt(email: string, onLock: () => Promise<void> = async () => {}): Promise<Attempt> {
    const ticket = await counter.consume(budgetOf(email));
    return {
      failed: async () => {
        const locked = await ticket.failed();
        if (locked) await onLock();
        return locked;
      },
      succeeded: () => ticket.succeeded(),
      uncounted: () => ticket.refund(),
    };
  }

  return { beginAttempt };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
