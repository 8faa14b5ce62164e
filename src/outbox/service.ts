import type { Kysely } from 'kysely';
import { type DB, type Transaction, inTransaction } from '../db/index.ts';
import { type Locale, type Message, type Notice, type NoticeQueue, renderNotice } from '../notify/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import type { Log } from './channels.ts';
import { type Channels, type DispatchReport, MAX_ATTEMPTS, type RetryPolicy, createDispatcher } from './dispatcher.ts';
import * as repo from './repository.ts';
import type { DeliveryRow, ListFilter, OutboxRow } from './repository.ts';
import { type Fetch, type SecretSealer, createWebhookEndpoints, webhookSender } from './webhooks.ts';

export interface Contact {
  email: string;
  phone: string;
  locale?: Locale | undefined;
}

export interface OutboxDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  random: () => number;
  /** Seals webhook secrets under the server key. */
  box: SecretSealer;
  /** A user's current address and locale, read with `q` (the caller's transaction when enqueuing in one). */
  contactOf: (q: Kysely<DB>, userId: string) => Promise<Contact | undefined>;
  /** Channel adapters except webhooks (SMTP or mailbox-only email, logging SMS…). */
  channels: Omit<Channels, 'webhook'> & { webhook?: Channels['webhook'] };
  /** Development: every email, SMS and bank notice is also written to the sandbox mailbox as it is enqueued. */
  mirror?: (q: Kysely<DB>, m: Message) => Promise<void>;
  /** Operators' re-sends go to the audit chain in the re-send's transaction. */
  audit?: (
    trx: Transaction<DB>,
    e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
  ) => Promise<unknown>;
  retry?: RetryPolicy;
  leaseMs?: number;
  sendTimeoutMs?: number;
  webhookTimeoutMs?: number;
  fetch?: Fetch;
  log?: Log;
}

export interface OutboxMessage {
  id: string;
  channel: OutboxRow['channel'];
  to: string;
  template: string;
  locale: Locale;
  data: Record<string, unknown>;
  idempotencyKey: string | null;
  status: OutboxRow['status'];
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface DeliveryAttempt {
  id: string;
  attempt: number;
  status: 'sent' | 'failed';
  error: string | null;
  responseStatus: number | null;
  durationMs: number;
  startedAt: string;
}

const iso = (d: Date | string) => new Date(d).toISOString();
const toMessage = (r: OutboxRow): OutboxMessage => ({
  id: r.id,
  channel: r.channel,
  to: r.recipient,
  template: r.template,
  locale: r.locale,
  data: JSON.parse(r.data) as Record<string, unknown>,
  idempotencyKey: r.idempotency_key,
  status: r.status,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
  lastError: r.last_error,
  createdAt: iso(r.created_at),
  sentAt: r.sent_at ? iso(r.sent_at) : null,
});
const toAttempt = (d: DeliveryRow): DeliveryAttempt => ({
  id: d.id,
  attempt: d.attempt,
  status: d.status,
  error: d.error,
  responseStatus: d.response_status,
  durationMs: d.duration_ms,
  startedAt: iso(d.started_at),
});

/** The outbox: enqueue in the event's transaction, dispatch later, list and re-send for operators. */
export function createOutbox(deps: OutboxDeps) {
  const webhooks = createWebhookEndpoints(deps);
  const dispatcher = createDispatcher({
    ...deps,
    webhooks,
    channels: {
      ...deps.channels,
      webhook:
        deps.channels.webhook ??
        webhookSender({
          clock: deps.clock,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
          ...(deps.webhookTimeoutMs ? { timeoutMs: deps.webhookTimeoutMs } : {}),
        }),
    },
  });

  async function resolve(q: Kysely<DB>, n: Notice): Promise<{ to: string; locale: Locale } | undefined> {
    if (typeof n.to === 'string') return { to: n.to, locale: n.locale ?? 'ja' };
    const c = await deps.contactOf(q, n.to.userId);
    const to = n.channel === 'email' ? c?.email : n.channel === 'sms' ? c?.phone : undefined;
    return to ? { to, locale: n.locale ?? c?.locale ?? 'ja' } : undefined;
  }

  const enqueue: NoticeQueue['enqueue'] = async (q, n) => {
    const target = await resolve(q, n);
    if (!target) return undefined;
    const now = deps.clock.now();
    const row = await q
      .insertInto('outbox')
      .values({
        id: deps.newId('obx'),
        channel: n.channel,
        recipient: target.to,
        template: n.template,
        locale: target.locale,
        data: JSON.stringify(n.data),
        idempotency_key: n.idempotencyKey ?? null,
        status: 'pending',
        max_attempts: MAX_ATTEMPTS[n.channel],
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row && deps.mirror && n.channel !== 'webhook') {
      const words = renderNotice(n.template, target.locale, n.data);
      if (words)
        await deps.mirror(q, {
          to: target.to,
          channel: n.channel,
          body: n.channel === 'email' ? `${words.subject}\n\n${words.body}` : words.body,
        });
    }
    return row?.id;
  };

  /**
   * A webhook event to every live endpoint of `owner` (a merchant id, or `bank:<code>`), in `q`'s transaction.
   * The idempotency key (if any) is made per endpoint. Returns the ids written.
   */
  async function emitWebhook(
    q: Kysely<DB>,
    e: { owner: string; type: string; data: Record<string, unknown>; idempotencyKey?: string },
  ): Promise<string[]> {
    const ids: string[] = [];
    for (const endpoint of await webhooks.endpointsOf(e.owner, q)) {
      const id = await enqueue(q, {
        channel: 'webhook',
        to: endpoint.id,
        template: e.type,
        data: e.data,
        ...(e.idempotencyKey ? { idempotencyKey: `${e.idempotencyKey}:${endpoint.id}` } : {}),
      });
      if (id) ids.push(id);
    }
    return ids;
  }

  async function list(f: ListFilter): Promise<{ data: OutboxMessage[]; has_more: boolean }> {
    const rows = await repo.listRows(deps.db, { ...f, limit: f.limit + 1 });
    return { data: rows.slice(0, f.limit).map(toMessage), has_more: rows.length > f.limit };
  }

  async function get(id: string): Promise<OutboxMessage & { deliveries: DeliveryAttempt[] }> {
    const row = await repo.findById(deps.db, id);
    if (!row) throw new AppError('not_found', `no outbox message ${id}`);
    return { ...toMessage(row), deliveries: (await repo.deliveriesOf(deps.db, id)).map(toAttempt) };
  }

  /**
   * An operator sends a sent or dead message again (same delivery id: a receiver that already has it may drop
   * it). Audited as `outbox.resend` in the same transaction; a pending message is 409 invalid_state.
   */
  async function resend(id: string, by: { actor: string; reason: string }): Promise<OutboxMessage> {
    const row = await inTransaction(deps.db, async (trx) => {
      const existing = await repo.findById(trx, id);
      if (!existing) throw new AppError('not_found', `no outbox message ${id}`);
      const r = await repo.requeue(trx, id, deps.clock.now(), MAX_ATTEMPTS[existing.channel]);
      if (!r)
        throw new AppError('invalid_state', `the message is ${existing.status}: it will be sent anyway`, {
          status: existing.status,
        });
      await deps.audit?.(trx, {
        actor: by.actor,
        action: 'outbox.resend',
        target: id,
        details: { reason: by.reason, channel: r.channel, template: r.template, attempts: r.attempts },
      });
      return r;
    });
    return toMessage(row);
  }

  return {
    enqueue,
    emitWebhook,
    webhooks,
    list,
    get,
    resend,
    dispatch: (o?: { batch?: number; limit?: number }): Promise<DispatchReport> => dispatcher.dispatch(o),
    dispatcher,
  };
}
export type Outbox = ReturnType<typeof createOutbox>;
