import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError, type Clock } from '../platform/index.ts';

const TTL_MS = 24 * 60 * 60 * 1000;

declare module 'fastify' {
  interface FastifyRequest {
    /** `inline`: the use case writes the record in its own statement (see `inline` below). */
    idempotency?: { scope: string; key: string; requestHash: string; inline?: boolean };
  }
}

/**
 * Idempotency-Key for every money-moving POST (API.md). A key is claimed before the handler runs (a unique
 * row, so concurrent duplicates cannot both run: the loser gets 409 idempotency_key_in_use); the completed
 * response is stored for 24 hours and replayed byte for byte; 5xx and 429 are not stored, so the key frees up.
 * Keys are scoped to the caller and the route.
 */
export function idempotency(db: Kysely<DB>, clock: Clock) {
  function identify(req: FastifyRequest): { scope: string; key: string; requestHash: string } {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0) throw new AppError('idempotency_key_required', 'send an Idempotency-Key header (1–255 characters) with every request that moves money');
    if (key.length > 255) throw new AppError('invalid_request', 'Idempotency-Key must be at most 255 characters');
    const caller = req.user?.id ?? req.merchant?.id ?? 'anonymous';
    const scope = `${caller} ${req.method} ${req.routeOptions.url ?? req.url}`;
    const requestHash = createHash('sha256').update(JSON.stringify({ params: req.params ?? null, body: req.body ?? null })).digest('hex');
    return { scope, key, requestHash };
  }

  async function claim(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const { scope, key, requestHash } = identify(req);
    const now = clock.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({ scope, key, request_hash: requestHash, state: 'in_flight', response_status: null, response_body: null, created_at: now })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (inserted) {
        req.idempotency = { scope, key, requestHash };
        return undefined;
      }
      const answered = await answerExisting(scope, key, requestHash, reply);
      if (answered) return answered;
    }
    throw new AppError('idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly');
  }

  /** Replays a finished answer, or refuses (422 other body, 409 still running); undefined when the key is free again. */
  async function answerExisting(scope: string, key: string, requestHash: string, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const now = clock.now();
    {
      const existing = await db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
      if (!existing) return undefined;
      if (new Date(existing.created_at).getTime() + TTL_MS < now.getTime()) {
        await db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).where('created_at', '=', existing.created_at).execute();
        return undefined;
      }
      if (existing.request_hash !== requestHash) throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request; use a new key for a new request');
      if (existing.state === 'in_flight') throw new AppError('idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly');
      return reply.code(existing.response_status ?? 200).header('content-type', 'application/json; charset=utf-8').header('idempotent-replayed', 'true').send(existing.response_body ?? '');
    }
  }

  /**
   * The one-round-trip variant for the hottest route (payments): no claim row first; the use case writes the
   * finished record in the same statement as the money movement (`record` below gives it), so the two commit
   * together. A second request with the key meets the unique index: it waits for the first to commit, fails, and
   * is answered from the stored record. Errors (4xx) are stored by onSend as usual.
   */
  async function inline(req: FastifyRequest): Promise<void> {
    req.idempotency = { ...identify(req), inline: true };
  }

  /** The record of a finished answer, as a statement for the use case to run with its own writes. */
  function doneRecord(req: FastifyRequest, status: number, body: string) {
    const idem = req.idempotency;
    if (!idem) throw new AppError('internal_error', 'no idempotency key on this request');
    return db.insertInto('idempotency_keys').values({ scope: idem.scope, key: idem.key, request_hash: idem.requestHash, state: 'done', response_status: status, response_body: body, created_at: clock.now() });
  }

  /**
   * After an inline statement failed: if the key was already used, answer from what the first request stored.
   * A retry can fail on another constraint before it reaches the key's unique index (the balance the first
   * request spent, say), so every failure is checked, not only the unique violation. Undefined = a new key.
   */
  async function answerIfUsed(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const idem = req.idempotency;
    if (!idem) return undefined;
    const answered = await answerExisting(idem.scope, idem.key, idem.requestHash, reply);
    if (answered) req.idempotency = undefined;
    return answered;
  }

  /** onSend: keep the finished answer, or free the key when the answer is not final (5xx, 429). */
  async function record(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = undefined;
    const status = reply.statusCode;
    if (idem.inline) {
      // The success was stored with the payment; a final error answer is stored here, if no one stored one first.
      if (status >= 400 && status < 500 && status !== 429) {
        await db
          .insertInto('idempotency_keys')
          .values({ scope: idem.scope, key: idem.key, request_hash: idem.requestHash, state: 'done', response_status: status, response_body: typeof payload === 'string' ? payload : JSON.stringify(payload ?? null), created_at: clock.now() })
          .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
          .execute();
      }
      return payload;
    }
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

  return { claim, record, inline, doneRecord, answerIfUsed };
}
