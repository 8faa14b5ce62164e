import { createHash } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Clock, NewId } from '../platform/index.ts';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<AuditEntry> {
  seq: number;
  id: string;
  at: string;
  prevHash: string;
  hash: string;
}

/** JSON with keys sorted at every level, so the hash does not depend on how an object was built. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    // Keys holding undefined are left out, as JSON.stringify does: the stored text must parse back.
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The chain head's hash before the first record (set by migration 0006). */
const GENESIS = 'genesis';

const hashOf = (
  prevHash: string,
  r: { seq: number; id: string; at: string; actor: string; action: string; target: string; details: string },
) =>
  createHash('sha256')
    .update(
      `${prevHash}\n${canonical({ seq: r.seq, id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, details: r.details })}`,
    )
    .digest('hex');

/**
 * The audit chain: each record carries the hash of the one before, so removing or editing any record breaks
 * every hash after it. Appends take the chain head's row lock: only operator actions and security events are
 * chained, never money movements, so this serialisation costs nothing on the money path.
 */
export function createAudit(deps: { clock: Clock; newId: NewId }) {
  async function append(trx: Transaction<DB>, e: AuditEntry): Promise<AuditRecord> {
    const head = await trx
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const record = {
      seq: Number(head.seq) + 1,
      id: deps.newId('aud'),
      at: deps.clock.now().toISOString(),
      actor: e.actor,
      action: e.action,
      target: e.target,
      details: canonical(e.details ?? {}),
    };
    const hash = hashOf(head.hash, record);
    await trx
      .insertInto('audit_log')
      .values({ ...record, prev_hash: head.hash, hash })
      .execute();
    await trx.updateTable('audit_head').set({ seq: record.seq, hash }).where('id', '=', 1).execute();
    return { ...record, details: e.details ?? {}, prevHash: head.hash, hash };
  }

  return { append };
}
export type Audit = ReturnType<typeof createAudit>;

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first record whose link, hash or sequence does not hold (or the first missing one). */
  firstBrokenSeq?: number;
  /** The hash of the last record when the chain holds: note it outside the database, and a later rewrite of the whole chain shows. */
  lastHash?: string;
}

/**
 * Recomputes the chain from the start and compares its end with the chain head, so editing, deleting or
 * truncating records (all refused by the trigger, but possible to a database owner) is named by sequence.
 */
export async function verifyAudit(db: Kysely<DB>): Promise<AuditVerification> {
  // The head first: records appended while we read lie beyond it and are left for the next run, not misread as breaks.
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  const headSeq = Number(head?.seq ?? 0);
  let prev = GENESIS;
  let expectedSeq = 1;
  while (expectedSeq <= headSeq) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .where('seq', '<=', headSeq)
      .orderBy('seq')
      .limit(1000)
      .execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== expectedSeq) return { ok: false, checked: expectedSeq - 1, firstBrokenSeq: expectedSeq };
      const at = new Date(r.at).toISOString();
      if (
        r.prev_hash !== prev ||
        hashOf(prev, { seq, id: r.id, at, actor: r.actor, action: r.action, target: r.target, details: r.details }) !==
          r.hash
      ) {
        return { ok: false, checked: seq - 1, firstBrokenSeq: seq };
      }
      prev = r.hash;
      expectedSeq++;
    }
  }
  const checked = expectedSeq - 1;
  // Records missing from the end, or a head that does not match the chain: the chain stops short of its head.
  if (!head || checked !== headSeq || head.hash !== prev) return { ok: false, checked, firstBrokenSeq: checked + 1 };
  return { ok: true, checked, lastHash: prev };
}

/**
 * A page of the log, newest first. `startingAfter` is a record's id (`aud_…`, docs/api.md's list convention) or its
 * sequence number; an id that names no record gives an empty page.
 */
export async function listAudit(
  db: Kysely<DB>,
  limit: number,
  startingAfter?: string,
): Promise<{ data: AuditRecord[]; hasMore: boolean }> {
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(limit + 1);
  if (startingAfter && /^\d+$/.test(startingAfter)) q = q.where('seq', '<', Number(startingAfter));
  else if (startingAfter)
    q = q.where('seq', '<', (eb) => eb.selectFrom('audit_log').select('seq').where('id', '=', startingAfter));
  const rows = await q.execute();
  return { data: rows.slice(0, limit).map(toAuditRecord), hasMore: rows.length > limit };
}

export function toAuditRecord(r: Selectable<DB['audit_log']>): AuditRecord {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: JSON.parse(r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
