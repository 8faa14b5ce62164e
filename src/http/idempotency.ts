import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, IdempotencyKeysTable } from '../db/index.ts';
import { isUniqueViolation } from '../db/index.ts';
import { AppError, type Clock } from '../platform/index.ts';

const TTL_MS = 24 * 60 * 60 * 1000;

/** How a route answers for a key whose object exists but whose final answer was never stored (a crash, a 503). */
export interface IdempotentRoute {
  /** The status of the route's success (201 for a new object, 200 for a confirmation). */
  status: number;
  /** The object as GET returns it to this caller. */
  load: (req: FastifyRequest, objectId: string) => Promise<unknown>;
  /**
   * Bank sagas: runs again an object its bank refused (`failed`, `bank_unavailable`), so a retry of the key keeps
   * its one object; returns the object (in any other state, as it is).
   */
  resume?: (req: FastifyRequest, objectId: string) => Promise<{ status: string; failureCode?: string }>;
}

interface KeyOfRequest {
  scope: string;
  key: string;
  requestHash: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's key while its answer is still to be stored. `inline`: the use case stores the finished answer
     * itself (payments); `objectId`: the object this request wrote its key with.
     */
    idempotency?: KeyOfRequest & { inline?: boolean; objectId?: string };
  }
}

const IN_USE = 'a request with this Idempotency-Key is still being processed; retry shortly';

/**
 * Idempotency-Key for every money-moving POST (docs/api.md). The key's record is written in the same transaction as
 * the money or the object's first row (`alongside`), never before it: a process that dies before that commit
 * leaves nothing behind (the key is free), and one that dies after it leaves a record naming the object
 * (`in_flight` + `object_id`), so a retry answers from the object (201/200 and the object as GET shows it). A
 * concurrent duplicate meets the key's unique index, waits for the first to commit, and is answered the same
 * way. The finished answer is stored when it is sent (`done`, replayed byte for byte for 24 hours); 5xx and 429
 * are not stored, so a key without an object is free again and a key with one answers from it. Keys are scoped to
 * the caller and the route.
 */
export function idempotency(db: Kysely<DB>, clock: Clock) {
  function identify(req: FastifyRequest): KeyOfRequest {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0)
      throw new AppError(
        'idempotency_key_required',
        'send an Idempotency-Key header (1–255 characters) with every request that moves money',
      );
    if (key.length > 255) throw new AppError('invalid_request', 'Idempotency-Key must be at most 255 characters');
    const caller = req.user?.id ?? req.merchant?.id ?? 'anonymous';
    const scope = `${caller} ${req.method} ${req.routeOptions.url ?? req.url}`;
    const requestHash = createHash('sha256')
      .update(JSON.stringify({ params: req.params ?? null, body: req.body ?? null }))
      .digest('hex');
    return { scope, key, requestHash };
  }

  /**
   * The preHandler of a route whose use case writes the key `alongside` its object: answers a key already used
   * (and then returns the reply, so Fastify runs no handler); otherwise lets the handler run.
   */
  function guard(route: IdempotentRoute) {
    return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
      const idem = identify(req);
      if (await answerExisting(idem, route, req, reply)) return reply;
      req.idempotency = idem;
      return undefined;
    };
  }

  async function findRecord(idem: KeyOfRequest): Promise<Selectable<IdempotencyKeysTable> | undefined> {
    const existing = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', idem.scope)
      .where('key', '=', idem.key)
      .executeTakeFirst();
    if (!existing || new Date(existing.created_at).getTime() + TTL_MS >= clock.now().getTime()) return existing;
    await db
      .deleteFrom('idempotency_keys')
      .where('scope', '=', idem.scope)
      .where('key', '=', idem.key)
      .where('created_at', '=', existing.created_at)
      .execute();
    return undefined;
  }

  /**
   * Answers from the key's record, if it has one: the stored answer, or the object it names; refuses another
   * body (422) or a record with neither (409: only left by versions before 0013, kept so nothing runs twice).
   * True when the reply was sent.
   */
  async function answerExisting(
    idem: KeyOfRequest,
    route: IdempotentRoute | undefined,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<boolean> {
    const existing = await findRecord(idem);
    if (!existing) return false;
    if (existing.request_hash !== idem.requestHash)
      throw new AppError(
        'idempotency_key_reused',
        'this Idempotency-Key was used with a different request; use a new key for a new request',
      );
    if (existing.state === 'done') {
      req.idempotency = undefined;
      void reply
        .code(existing.response_status ?? 200)
        .header('content-type', 'application/json; charset=utf-8')
        .header('idempotent-replayed', 'true')
        .send(existing.response_body ?? '');
      return true;
    }
    if (!existing.object_id || !route) throw new AppError('idempotency_key_in_use', IN_USE);
    const current = (await route.load(req, existing.object_id)) as { status?: string; failureCode?: string };
    if (route.resume && current.status === 'failed' && current.failureCode === 'bank_unavailable') {
      // The first answer was a 503: this retry runs the same object again, and its answer is the key's answer.
      const resumed = await route.resume(req, existing.object_id);
      req.idempotency = { ...idem, objectId: existing.object_id };
      void reply.code(route.status).send(resumed);
      return true;
    }
    req.idempotency = undefined;
    void reply.code(route.status).header('idempotent-replayed', 'true').send(current);
    return true;
  }

  /** The write that records the key with the object, for the use case to run in the object's own transaction. */
  function alongside(req: FastifyRequest): (trx: Transaction<DB>, objectId: string) => Promise<void> {
    const idem = req.idempotency;
    if (!idem) throw new AppError('internal_error', 'no idempotency key on this request');
    return async (trx, objectId) => {
      await trx
        .insertInto('idempotency_keys')
        .values({
          scope: idem.scope,
          key: idem.key,
          request_hash: idem.requestHash,
          state: 'in_flight',
          response_status: null,
          response_body: null,
          object_id: objectId,
          created_at: clock.now(),
        })
        .execute();
      idem.objectId = objectId;
    };
  }

  /**
   * Runs a guarded route's use case with the key's write; when it fails and the key turns out to be another
   * request's (a concurrent duplicate committed first), answers from that request's record instead.
   */
  async function run<T>(
    req: FastifyRequest,
    reply: FastifyReply,
    route: IdempotentRoute,
    useCase: (write: (trx: Transaction<DB>, objectId: string) => Promise<void>) => Promise<T>,
  ): Promise<T | FastifyReply> {
    const idem = req.idempotency;
    if (!idem) throw new AppError('internal_error', 'no idempotency key on this request');
    try {
      return await useCase(alongside(req));
    } catch (e) {
      const existing = await findRecord(idem);
      // This request's own object (a 503 after the charge row committed) keeps its error answer.
      if (!existing || (idem.objectId !== undefined && existing.object_id === idem.objectId)) {
        if (isUniqueViolation(e, 'idempotency_keys_pkey')) throw new AppError('idempotency_key_in_use', IN_USE);
        throw e;
      }
      req.idempotency = undefined;
      if (await answerExisting(idem, route, req, reply)) return reply;
      throw e;
    }
  }

  /**
   * The one-round-trip variant for the hottest route (payments): no read first; the use case writes the
   * finished record in the same statement as the money movement (`doneRecord` gives it), so the two commit
   * together. A second request with the key meets the unique index: it waits for the first to commit, fails, and
   * is answered from the stored record (`answerIfUsed`). Errors (4xx) are stored by onSend as usual.
   */
  async function inline(req: FastifyRequest): Promise<void> {
    req.idempotency = { ...identify(req), inline: true };
  }

  /** The record of a finished answer, as a statement for the use case to run with its own writes. */
  function doneRecord(req: FastifyRequest, status: number, body: string) {
    const idem = req.idempotency;
    if (!idem) throw new AppError('internal_error', 'no idempotency key on this request');
    return db.insertInto('idempotency_keys').values({
      scope: idem.scope,
      key: idem.key,
      request_hash: idem.requestHash,
      state: 'done',
      response_status: status,
      response_body: body,
      object_id: null,
      created_at: clock.now(),
    });
  }

  /**
   * After an inline statement failed: if the key was already used, answer from what the first request stored.
   * A retry can fail on another constraint before it reaches the key's unique index (the balance the first
   * request spent, say), so every failure is checked, not only the unique violation. False = a new key.
   */
  async function answerIfUsed(req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const idem = req.idempotency;
    if (!idem) return false;
    return answerExisting(idem, undefined, req, reply);
  }

  /** onSend: keep the finished answer; a 5xx or 429 is not final, so nothing is stored for it. */
  async function record(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = undefined;
    const status = reply.statusCode;
    // Not final: a key without an object is free again; one with an object answers from it next time.
    if (status >= 500 || status === 429) return payload;
    // Payments store their success with the payment itself.
    if (idem.inline && status < 300) return payload;
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
    const insert = db.insertInto('idempotency_keys').values({
      scope: idem.scope,
      key: idem.key,
      request_hash: idem.requestHash,
      state: 'done',
      response_status: status,
      response_body: body,
      object_id: null,
      created_at: clock.now(),
    });
    if (status < 300) {
      // The success upgrades this request's own in_flight record (written with the object) to the stored answer.
      await insert
        .onConflict((oc) =>
          oc
            .columns(['scope', 'key'])
            .doUpdateSet({ state: 'done', response_status: status, response_body: body })
            .where('idempotency_keys.state', '=', 'in_flight')
            .where('idempotency_keys.request_hash', '=', idem.requestHash),
        )
        .execute();
    } else {
      // A refusal is stored only when no object was written for the key (else the object is the answer).
      await insert.onConflict((oc) => oc.columns(['scope', 'key']).doNothing()).execute();
    }
    return payload;
  }

  /** A failed inline write whose cause is the key itself (another request holds it): 409, else the error as is. */
  function keyConflict(e: unknown): unknown {
    return isUniqueViolation(e, 'idempotency_keys_pkey')
      ? new AppError(
          'idempotency_key_in_use',
          'a request with this Idempotency-Key is still being processed; retry shortly',
        )
      : e;
  }

  return { guard, run, alongside, record, inline, doneRecord, answerIfUsed, keyConflict };
}
