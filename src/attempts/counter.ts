import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError, type Clock } from '../platform/index.ts';

/**
 * One counted budget. `max` attempts per window of `windowMs`, counted from the first attempt of the window.
 * With `lockMs`, reaching `max` failures locks the key for the next duration in the list (the last repeats)
 * and starts a fresh count afterwards: the escalating lockout of sign-ins and step-ups.
 */
export interface Budget {
  key: string;
  max: number;
  windowMs: number;
  lockMs?: readonly number[];
  /**
   * What a success does to the count: `reset` (consecutive failures: sign-in), `refund` (only failures count:
   * the attempt is given back) or `keep` (every attempt counts: sends, lookups). Default `refund`.
   */
  onSuccess?: 'reset' | 'refund' | 'keep';
}

/** An attempt taken from one or more budgets before the secret was checked. Say how it ended. */
export interface Ticket {
  /** The fewest attempts any budget has left after this one (0 = this was the last). */
  readonly remaining: number;
  /** The secret was wrong: the attempt stays spent. Resolves true when this failure locked a budget. */
  failed(): Promise<boolean>;
  succeeded(): Promise<void>;
  /** Ended before any secret was judged (e.g. `mfa_required` after a right password): the attempt is given back. */
  refund(): Promise<void>;
}

export interface AttemptCounter {
  /**
   * Takes one attempt from every budget, atomically per budget, before the caller evaluates anything: of any
   * number of parallel requests at most `max` get through. All or none: when one budget is spent or locked the
   * others are given back and `too_many_attempts` is thrown with `retryAfterSeconds`.
   */
  consume(budgets: Budget | readonly Budget[]): Promise<Ticket>;
  /** Whether a key is locked or spent right now (for answers that must not consume, e.g. a status page). */
  peek(budget: Budget): Promise<{ used: number; lockedUntil: Date | null }>;
  /** Drops a key's count and lock (an operator unlocks, a new code replaces the old one). */
  clear(key: string): Promise<void>;
  /** Deletes rows whose window and lock have both ended; for the periodic job. */
  sweep(): Promise<number>;
}

/** 429 too_many_attempts; `budgetKey` says which budget was spent, for the server's own use (never sent). */
export class AttemptRefused extends AppError {
  constructor(
    readonly budgetKey: string,
    retryAfterSeconds: number,
  ) {
    super('too_many_attempts', 'too many attempts: try again later', { retryAfterSeconds });
  }
}

type Granted = { budget: Budget; used: number };

/**
 * Attempt counters on the database (table attempt_counters). A slot is taken with a conditional UPDATE (or the
 * INSERT of a new row) whose WHERE clause refuses when the window is full or locked: PostgreSQL serialises
 * writers of one row, so the count can never pass `max`, however many requests arrive at once.
 */
export function createAttemptCounter(deps: { db: Kysely<DB>; clock: Clock }): AttemptCounter {
  const { db, clock } = deps;

  async function takeSlot(b: Budget, now: Date): Promise<number | undefined> {
    if (b.max < 1) return undefined;
    const windowEnds = new Date(now.getTime() + b.windowMs);
    const fromExisting = await takeFromRow(b, now, windowEnds);
    if (fromExisting !== undefined) return fromExisting;
    const inserted = await db
      .insertInto('attempt_counters')
      .values({ key: b.key, used: 1, window_ends: windowEnds, locked_until: null })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('used')
      .executeTakeFirst();
    if (inserted) return inserted.used;
    // Another request created the row first: take a slot from it like everyone else.
    return takeFromRow(b, now, windowEnds);
  }

  async function takeFromRow(b: Budget, now: Date, windowEnds: Date): Promise<number | undefined> {
    const updated = await db
      .updateTable('attempt_counters')
      .set({
        used: sql<number>`CASE WHEN window_ends <= ${now} THEN 1 ELSE used + 1 END`,
        window_ends: sql<Date>`CASE WHEN window_ends <= ${now} THEN ${windowEnds}::timestamptz ELSE window_ends END`,
      })
      .where('key', '=', b.key)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .where((eb) => eb.or([eb('window_ends', '<=', now), eb('used', '<', b.max)]))
      .returning('used')
      .executeTakeFirst();
    return updated?.used;
  }

  async function refusal(b: Budget, now: Date): Promise<AttemptRefused> {
    const row = await db
      .selectFrom('attempt_counters')
      .select(['window_ends', 'locked_until'])
      .where('key', '=', b.key)
      .executeTakeFirst();
    const lockedUntil = row?.locked_until ? new Date(row.locked_until) : null;
    // Full but not locked: the attempts in flight will end in a moment, or the window will.
    const until =
      lockedUntil && lockedUntil > now
        ? lockedUntil
        : b.lockMs
          ? new Date(now.getTime() + 1000)
          : row
            ? new Date(row.window_ends)
            : now;
    const retryAfterSeconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
    return new AttemptRefused(b.key, retryAfterSeconds);
  }

  async function giveBack(b: Budget): Promise<void> {
    await db
      .updateTable('attempt_counters')
      .set({ used: sql<number>`greatest(used - 1, 0)` })
      .where('key', '=', b.key)
      .execute();
  }

  /** Locks a budget that has reached `max` failures. Conditional, so of racing failures exactly one locks. */
  async function lockIfDue(b: Budget, now: Date): Promise<boolean> {
    if (!b.lockMs || b.lockMs.length === 0) return false;
    const steps = b.lockMs;
    const lockFor = sql<number>`(ARRAY[${sql.join(steps.map((ms) => sql.lit(Math.round(ms))))}]::int8[])[least(locks + 1, ${steps.length})]`;
    const done = await db
      .updateTable('attempt_counters')
      .set({
        used: 0,
        locks: sql<number>`locks + 1`,
        locked_until: sql<Date>`${now}::timestamptz + (${lockFor} * interval '1 millisecond')`,
        window_ends: sql<Date>`${now}::timestamptz + (${lockFor} * interval '1 millisecond')`,
      })
      .where('key', '=', b.key)
      .where('used', '>=', b.max)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .returning('key')
      .executeTakeFirst();
    return done !== undefined;
  }

  async function consume(budgets: Budget | readonly Budget[]): Promise<Ticket> {
    // A fixed order: two requests taking the same keys never wait on each other in a cycle. A crash between two
    // budgets leaves the first one's slot taken until its window ends: it fails closed, never open.
    const list = (Array.isArray(budgets) ? [...budgets] : [budgets as Budget]).sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    const now = clock.now();
    const granted: Granted[] = [];
    for (const b of list) {
      const used = await takeSlot(b, now);
      if (used === undefined) {
        await Promise.all(granted.map((g) => giveBack(g.budget)));
        throw await refusal(b, now);
      }
      granted.push({ budget: b, used });
    }
    let settled = false;
    const settle = () => {
      if (settled) throw new Error('an attempt ticket is settled once');
      settled = true;
    };
    return {
      remaining: Math.min(...granted.map((g) => g.budget.max - g.used)),
      async failed() {
        settle();
        const locks = await Promise.all(
          granted.map((g) => (g.used >= g.budget.max ? lockIfDue(g.budget, clock.now()) : Promise.resolve(false))),
        );
        return locks.some(Boolean);
      },
      async succeeded() {
        settle();
        for (const g of granted) {
          const mode = g.budget.onSuccess ?? 'refund';
          if (mode === 'reset')
            await db.updateTable('attempt_counters').set({ used: 0 }).where('key', '=', g.budget.key).execute();
          else if (mode === 'refund') await giveBack(g.budget);
        }
      },
      async refund() {
        settle();
        await Promise.all(granted.map((g) => giveBack(g.budget)));
      },
    };
  }

  async function peek(b: Budget) {
    const now = clock.now();
    const row = await db
      .selectFrom('attempt_counters')
      .select(['used', 'window_ends', 'locked_until'])
      .where('key', '=', b.key)
      .executeTakeFirst();
    const lockedUntil = row?.locked_until && new Date(row.locked_until) > now ? new Date(row.locked_until) : null;
    const used = row && new Date(row.window_ends) > now ? row.used : 0;
    return { used, lockedUntil };
  }

  async function clear(key: string): Promise<void> {
    await db.deleteFrom('attempt_counters').where('key', '=', key).execute();
  }

  async function sweep(): Promise<number> {
    const now = clock.now();
    const r = await db
      .deleteFrom('attempt_counters')
      .where('window_ends', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      // Escalation needs the lock history: keep keys that were ever locked for a day after their last lock.
      .where((eb) => eb.or([eb('locks', '=', 0), eb('window_ends', '<=', new Date(now.getTime() - 24 * 3600 * 1000))]))
      .returning('key')
      .execute();
    return r.length;
  }

  return { consume, peek, clear, sweep };
}
