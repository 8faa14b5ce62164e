import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
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
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const hashOf = (prevHash: string, r: { seq: number; id: string; at: string; actor: string; action: string; target: string; details: string }) =>
  createHash('sha256').update(`${prevHash}\n${canonical({ seq: r.seq, id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, details: r.details })}`).digest('hex');

/**
 * The audit chain: each record carries the hash of the one before, so removing or editing any record breaks
 * every hash after it. Appends take the chain head's row lock: only operator actions and security events are
 * chained, never money movements, so this serialisation costs nothing on the money path.
 */
export function createAudit(deps: { clock: Clock; newId: NewId }) {
  async function append(trx: Transaction<DB>, e: AuditEntry): Promise<AuditRecord> {
    const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
    const record = { seq: Number(head.seq) + 1, id: deps.newId('aud'), at: deps.clock.now().toISOString(), actor: e.actor, action: e.action, target: e.target, details: canonical(e.details ?? {}) };
    const hash = hashOf(head.hash, record);
    await trx.insertInto('audit_log').values({ ...record, prev_hash: head.hash, hash }).execute();
    await trx.updateTable('audit_head').set({ seq: record.seq, hash }).where('id', '=', 1).execute();
    return { ...record, details: e.details ?? {}, prevHash: head.hash, hash };
  }

  return { append };
}
export type Audit = ReturnType<typeof createAudit>;

/** Recomputes the chain from the start; reports the first record whose link or hash does not hold. */
export async function verifyAudit(db: Kysely<DB>): Promise<{ ok: boolean; checked: number; firstBrokenSeq?: number }> {
  let prev = 'genesis';
  let expectedSeq = 1;
  let checked = 0;
  let after = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(1000).execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      const seq = Number(r.seq);
      const at = new Date(r.at).toISOString();
      if (seq !== expectedSeq || r.prev_hash !== prev || hashOf(prev, { seq, id: r.id, at, actor: r.actor, action: r.action, target: r.target, details: r.details }) !== r.hash) {
        return { ok: false, checked, firstBrokenSeq: seq !== expectedSeq ? expectedSeq : seq };
      }
      prev = r.hash;
      expectedSeq++;
      checked++;
      after = seq;
    }
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (head && (Number(head.seq) !== checked || head.hash !== prev)) return { ok: false, checked, firstBrokenSeq: checked + 1 };
  return { ok: true, checked };
}

export function toAuditRecord(r: DB['audit_log'] extends infer T ? { [K in keyof T]: unknown } : never): AuditRecord {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    at: new Date(r.at as string).toISOString(),
    actor: String(r.actor),
    action: String(r.action),
    target: String(r.target),
    details: JSON.parse(String(r.details)) as Record<string, unknown>,
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}
