import type { Kysely } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { renderNotice } from '../notify/index.ts';
import type { Clock, NewId } from '../platform/index.ts';
import {
  type BankNoticeAdapter,
  DeliveryHttpError,
  type EmailAdapter,
  type Log,
  PermanentDeliveryError,
  type SmsAdapter,
} from './channels.ts';
import * as repo from './repository.ts';
import type { OutboxRow } from './repository.ts';
import type { WebhookEndpoints, WebhookSender } from './webhooks.ts';

export interface Channels {
  email: EmailAdapter;
  sms: SmsAdapter;
  bankNotice: BankNoticeAdapter;
  webhook: WebhookSender;
}

export interface RetryPolicy {
  /** The first retry waits about this long; each later one twice the one before. */
  baseMs: number;
  /** No wait is longer than this. */
  capMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 30_000, capMs: 6 * 60 * 60 * 1000 };

/** Attempts before a message is dead: webhooks 10 (2–4 hours of retries), people's messages 6 (8–16 minutes). */
export const MAX_ATTEMPTS: Record<OutboxRow['channel'], number> = { email: 6, sms: 6, bank_notice: 6, webhook: 10 };

/**
 * How long to wait after failed attempt `attempt` (1-based): exponential, capped, with "equal jitter" from the
 * injected random (half the step fixed, half random), so dispatchers that failed together do not retry together:
 * step = min(cap, base·2^(attempt−1)); wait = step/2 + random()·step/2.
 */
export function retryDelayMs(attempt: number, random: () => number, p: RetryPolicy = DEFAULT_RETRY): number {
  const step = Math.min(p.capMs, p.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export interface DispatcherDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  random: () => number;
  channels: Channels;
  webhooks: WebhookEndpoints;
  retry?: RetryPolicy;
  /** A claimed row is another dispatcher's again after this: longer than any adapter may take (default 2 min). */
  leaseMs?: number;
  /** An adapter that has not answered within this has failed (default 30 s; its send may still land: same id). */
  sendTimeoutMs?: number;
  log?: Log;
}

export interface DispatchReport {
  claimed: number;
  sent: number;
  retried: number;
  dead: number;
  /** Rows whose outcome could not be recorded (the database failed after the send): due again after the lease. */
  unrecorded: number;
}

type Outcome =
  | { ok: true; responseStatus?: number }
  | { ok: false; error: string; permanent: boolean; responseStatus?: number };

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });

/** The outbox's sender: claim due rows, send each through its channel, record the attempt, retry or bury. */
export function createDispatcher(deps: DispatcherDeps) {
  const leaseMs = deps.leaseMs ?? 120_000;
  const sendTimeoutMs = deps.sendTimeoutMs ?? 30_000;

  async function send(row: OutboxRow): Promise<{ responseStatus?: number }> {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    if (row.channel === 'webhook') {
      const target = await deps.webhooks.target(row.recipient);
      if (!target) throw new PermanentDeliveryError(`webhook endpoint ${row.recipient} is unknown or disabled`);
      const body = JSON.stringify({
        id: row.id,
        type: row.template,
        createdAt: new Date(row.created_at).toISOString(),
        data,
      });
      const r = await deps.channels.webhook({ deliveryId: row.id, event: row.template, ...target, body });
      return { responseStatus: r.status };
    }
    const words = renderNotice(row.template, row.locale, data);
    if (!words) throw new PermanentDeliveryError(`no template ${row.template}`);
    if (row.channel === 'email')
      await deps.channels.email.send({
        deliveryId: row.id,
        to: row.recipient,
        subject: words.subject,
        text: words.body,
      });
    else {
      const adapter = row.channel === 'sms' ? deps.channels.sms : deps.channels.bankNotice;
      await adapter.send({ deliveryId: row.id, to: row.recipient, text: words.body });
    }
    return {};
  }

  async function attempt(row: OutboxRow): Promise<Outcome> {
    try {
      return { ok: true, ...(await withTimeout(send(row), sendTimeoutMs)) };
    } catch (e) {
      return {
        ok: false,
        error: e instanceof Error ? e.message.slice(0, 500) : String(e).slice(0, 500),
        permanent: e instanceof PermanentDeliveryError,
        ...(e instanceof DeliveryHttpError ? { responseStatus: e.status } : {}),
      };
    }
  }

  /** Records one attempt and moves the row on: sent, due again after a back-off, or dead. */
  async function record(
    row: OutboxRow,
    o: Outcome,
    startedAt: Date,
    durationMs: number,
  ): Promise<keyof DispatchReport> {
    const now = deps.clock.now();
    const next =
      o.ok || o.permanent || row.attempts >= row.max_attempts
        ? undefined
        : new Date(now.getTime() + retryDelayMs(row.attempts, deps.random, deps.retry));
    await inTransaction(deps.db, async (trx) => {
      await repo.logDelivery(trx, {
        id: deps.newId('dlv'),
        outbox_id: row.id,
        attempt: row.attempts,
        status: o.ok ? 'sent' : 'failed',
        error: o.ok ? null : o.error,
        response_status: o.responseStatus ?? null,
        duration_ms: Math.round(durationMs),
        started_at: startedAt,
      });
      if (o.ok) await repo.markSent(trx, row.id, now);
      else await repo.markFailed(trx, row, { now, error: o.error, next });
    });
    if (!o.ok) deps.log?.('outbox delivery failed', { id: row.id, attempt: row.attempts, error: o.error, next });
    return o.ok ? 'sent' : next ? 'retried' : 'dead';
  }

  async function deliver(row: OutboxRow): Promise<keyof DispatchReport> {
    const startedAt = deps.clock.now();
    const t0 = performance.now();
    const outcome = await attempt(row);
    try {
      return await record(row, outcome, startedAt, performance.now() - t0);
    } catch (e) {
      deps.log?.('outbox: the attempt could not be recorded; the row is due again after its lease', {
        id: row.id,
        sent: outcome.ok,
        error: String(e),
      });
      return 'unrecorded';
    }
  }

  /** Claims due rows (in batches, up to `limit`) and delivers each batch concurrently. Safe to run on every node. */
  async function dispatch(o: { batch?: number; limit?: number } = {}): Promise<DispatchReport> {
    const batch = o.batch ?? 20;
    const limit = o.limit ?? 100;
    const report: DispatchReport = { claimed: 0, sent: 0, retried: 0, dead: 0, unrecorded: 0 };
    while (report.claimed < limit) {
      const now = deps.clock.now();
      const rows = await claimBatch(now, Math.min(batch, limit - report.claimed));
      report.claimed += rows.length;
      for (const r of await Promise.all(rows.map(deliver))) report[r]++;
      // A short batch is no proof the table is drained: under contention a claim may lose rows to another node.
      if (rows.length === 0) break;
    }
    return report;
  }

  const claimBatch = (now: Date, n: number) => repo.claimDue(deps.db, now, new Date(now.getTime() + leaseMs), n);

  return { dispatch, claim: claimBatch, deliver, attempt };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
