import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError, type Clock } from '../platform/index.ts';

const TTL_MS = 24 * 60 * 60 * 1000;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { scope: string; key: string };
  }
}

/**
 * Idempotency-Key for every money-moving POST (API.md). A key is claimed before the handler runs (a unique
 * row, so concurrent duplicates cannot both run: the loser gets 409 idempotency_key_in_use); the completed
 * response is stored for 24 hours and replayed byte for byte; 5xx and 429 are not stored, so the key frees up.
 * Keys are scoped to the caller and the route.
 */
export function idempotency(db: Kysely<DB>, clock: Clock) {
  async function claim(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0) throw new AppError('idempotency_key_required', 'send an Idempotency-Key header (1–255 characters) with every request that moves money');
    if (key.length > 255) throw new AppError('invalid_request', 'Idempotency-Key must be at most 255 characters');
    const caller = req.user?.id ?? req.merchant?.id ?? 'anonymous';
    const scope = `${caller} ${req.method} ${req.routeOptions.url ?? req.url}`;
    const requestHash = createHash('sha256').update(JSON.stringify({ params: req.params ?? null, body: req.body ?? null })).digest('hex');
    const now = clock.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({ scope, key, request_hash: requestHash, state: 'in_flight', response_status: null, response_body: null, created_at: now })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (inserted) {
        req.idempotency = { scope, key };
        return undefined;
      }
      const existing = await db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
      if (!existing) continue;
      if (new Date(existing.created_at).getTime() + TTL_MS < now.getTime()) {
        await db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).where('created_at', '=', existing.created_at).execute();
        continue;
      }
      if (existing.request_hash !== requestHash) throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request; use a new key for a new request');
      if (existing.state === 'in_flight') throw new AppError('idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly');
      return reply.code(existing.response_status ?? 200).header('content-type', 'application/json; charset=utf-8').header('idempotent-replayed', 'true').send(existing.response_body ?? '');
    }
    throw new AppError('idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly');
  }

  /** onSend: keep the finished answer, or free the key when the answer is not final (5xx, 429). */
  async function record(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = undefined;
    const status = reply.statusCode;
    if (status >= 500 || status === 429) {
      await db.deleteFrom('idempotency_keys').where('scope', '=', idem.scope).where('key', '=', idem.key).where('state', '=', 'in_flight').execute();
    } else {
      await db
        .updateTable('idempotency_keys')
        .set({ state: 'done', response_status: status, response_body: typeof payload === 'string' ? payload : JSON.stringify(payload ?? null) })
        .where('scope', '=', idem.scope)
        .where('key', '=', idem.key)
        .execute();
    }
    return payload;
  }

  return { claim, record };
}
