import type { Kysely, Selectable } from 'kysely';
import type { DB, Transaction } from '../db/index.ts';

export type OutboxRow = Selectable<DB['outbox']>;
export type DeliveryRow = Selectable<DB['outbox_deliveries']>;

/**
 * Claims up to `limit` due rows for one dispatcher: each gets its attempt counted and its next_attempt_at pushed
 * to `leaseUntil`, in one statement. FOR UPDATE SKIP LOCKED makes concurrent dispatchers (several nodes on
 * PostgreSQL) pass over each other's rows instead of waiting or taking them twice; a row whose dispatcher dies is
 * due again when its lease lapses, and is sent again with the same id.
 */
export function claimDue(db: Kysely<DB>, now: Date, leaseUntil: Date, limit: number): Promise<OutboxRow[]> {
  return db
    .updateTable('outbox')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: leaseUntil, updated_at: now }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('outbox')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .returningAll()
    .execute();
}

export async function logDelivery(trx: Transaction<DB>, d: DeliveryRow): Promise<void> {
  await trx.insertInto('outbox_deliveries').values(d).execute();
}

/** Sent is sent, whoever holds the lease now: a copy another dispatcher sends carries the same delivery id. */
export async function markSent(trx: Transaction<DB>, id: string, now: Date): Promise<void> {
  await trx
    .updateTable('outbox')
    .set({ status: 'sent', sent_at: now, updated_at: now, last_error: null })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

/** A failed attempt: retry at `next`, or dead. Only for the attempt that holds the row (a later claim wins). */
export async function markFailed(
  trx: Transaction<DB>,
  row: Pick<OutboxRow, 'id' | 'attempts'>,
  o: { now: Date; error: string; next: Date | undefined },
): Promise<void> {
  await trx
    .updateTable('outbox')
    .set({
      status: o.next ? 'pending' : 'dead',
      next_attempt_at: o.next ?? o.now,
      last_error: o.error,
      updated_at: o.now,
    })
    .where('id', '=', row.id)
    .where('attempts', '=', row.attempts)
    .where('status', '=', 'pending')
    .execute();
}

export function findById(db: Kysely<DB>, id: string): Promise<OutboxRow | undefined> {
  return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
}

export function deliveriesOf(db: Kysely<DB>, id: string): Promise<DeliveryRow[]> {
  return db
    .selectFrom('outbox_deliveries')
    .selectAll()
    .where('outbox_id', '=', id)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
}

export interface ListFilter {
  status?: OutboxRow['status'] | undefined;
  channel?: OutboxRow['channel'] | undefined;
  startingAfter?: string | undefined;
  limit: number;
}

/** Newest first (ids are time-ordered); `startingAfter` is the last id of the previous page. */
export function listRows(db: Kysely<DB>, f: ListFilter): Promise<OutboxRow[]> {
  let q = db.selectFrom('outbox').selectAll().orderBy('id', 'desc').limit(f.limit);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.channel) q = q.where('channel', '=', f.channel);
  if (f.startingAfter) q = q.where('id', '<', f.startingAfter);
  return q.execute();
}

/** An operator's re-send: a sent or dead row is due again now with a fresh allowance of attempts; same id. */
export function requeue(
  trx: Transaction<DB>,
  id: string,
  now: Date,
  moreAttempts: number,
): Promise<OutboxRow | undefined> {
  return trx
    .updateTable('outbox')
    .set((eb) => ({
      status: 'pending',
      next_attempt_at: now,
      updated_at: now,
      max_attempts: eb('attempts', '+', moreAttempts),
    }))
    .where('id', '=', id)
    .where('status', 'in', ['sent', 'dead'])
    .returningAll()
    .executeTakeFirst();
}
