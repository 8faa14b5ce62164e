import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import { DeliveryHttpError } from './channels.ts';

export const SIGNATURE_HEADER = 'Saifu-Signature';
export const DELIVERY_ID_HEADER = 'Saifu-Delivery-Id';
export const EVENT_HEADER = 'Saifu-Event';
/** A receiver refuses a signature whose timestamp is further than this from its own clock (replayed requests). */
export const REPLAY_WINDOW_SECONDS = 300;

const hmac = (secret: string, t: number, body: string) =>
  createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`: signed afresh on every attempt. */
export function signWebhook(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

/**
 * For receivers and tests: true when `header` (Saifu-Signature) signs exactly `body` (the raw bytes as received,
 * before any JSON parsing) under `secret`, and its timestamp is within REPLAY_WINDOW_SECONDS of `now`. Several
 * `v1=` entries are allowed (any one may match, for secret rotation).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  now: Date | number,
  windowSeconds = REPLAY_WINDOW_SECONDS,
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t)) return false;
  const nowSeconds = (typeof now === 'number' ? now : now.getTime()) / 1000;
  if (Math.abs(nowSeconds - t) > windowSeconds) return false;
  const want = Buffer.from(hmac(secret, t, body), 'hex');
  return parts
    .filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v))
    .some(([, v]) => timingSafeEqual(Buffer.from(v as string, 'hex'), want));
}

export interface SecretSealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

export interface WebhookEndpoint {
  id: string;
  owner: string;
  url: string;
  createdAt: string;
  disabledAt: string | null;
}

const toEndpoint = (r: {
  id: string;
  owner: string;
  url: string;
  created_at: Date | string;
  disabled_at: Date | string | null;
}): WebhookEndpoint => ({
  id: r.id,
  owner: r.owner,
  url: r.url,
  createdAt: new Date(r.created_at).toISOString(),
  disabledAt: r.disabled_at ? new Date(r.disabled_at).toISOString() : null,
});

/** Merchants' and banks' webhook endpoints; the signing secret is sealed under the server key, never returned. */
export function createWebhookEndpoints(deps: { db: Kysely<DB>; clock: Clock; newId: NewId; box: SecretSealer }) {
  async function registerEndpoint(
    e: { owner: string; url: string; secret: string },
    q: Kysely<DB> = deps.db,
  ): Promise<WebhookEndpoint> {
    let url: URL;
    try {
      url = new URL(e.url);
    } catch {
      throw new AppError('invalid_request', 'the webhook URL is not a URL', { field: 'url' });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new AppError('invalid_request', 'a webhook URL is http(s)', { field: 'url' });
    if (e.secret.length < 16)
      throw new AppError('invalid_request', 'a webhook secret has at least 16 characters', { field: 'secret' });
    const row = {
      id: deps.newId('whe'),
      owner: e.owner,
      url: url.toString(),
      secret: deps.box.seal(e.secret),
      created_at: deps.clock.now(),
    };
    await q.insertInto('webhook_endpoints').values(row).execute();
    return toEndpoint({ ...row, disabled_at: null });
  }

  async function disableEndpoint(id: string, q: Kysely<DB> = deps.db): Promise<void> {
    await q
      .updateTable('webhook_endpoints')
      .set({ disabled_at: deps.clock.now() })
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .execute();
  }

  async function endpointsOf(owner: string, q: Kysely<DB> = deps.db): Promise<WebhookEndpoint[]> {
    const rows = await q
      .selectFrom('webhook_endpoints')
      .select(['id', 'owner', 'url', 'created_at', 'disabled_at'])
      .where('owner', '=', owner)
      .where('disabled_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map(toEndpoint);
  }

  /** The live endpoint with its secret opened, for the dispatcher; undefined when unknown or disabled. */
  async function target(id: string): Promise<{ url: string; secret: string } | undefined> {
    const row = await deps.db
      .selectFrom('webhook_endpoints')
      .select(['url', 'secret'])
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    return row ? { url: row.url, secret: deps.box.open(row.secret) } : undefined;
  }

  return { registerEndpoint, disableEndpoint, endpointsOf, target };
}
export type WebhookEndpoints = ReturnType<typeof createWebhookEndpoints>;

export type Fetch = (url: string, init: RequestInit) => Promise<{ status: number }>;

/** POSTs a signed webhook; a non-2xx answer or no answer within `timeoutMs` is a failure (retried). */
export function webhookSender(o: { fetch?: Fetch; timeoutMs?: number; clock: Clock }) {
  const doFetch: Fetch =
    o.fetch ??
    (async (url, init) => {
      const res = await fetch(url, init);
      // The answer's body is not read: dropping it frees the connection.
      await res.body?.cancel().catch(() => {});
      return { status: res.status };
    });
  return async function send(m: {
    deliveryId: string;
    event: string;
    url: string;
    secret: string;
    body: string;
  }): Promise<{ status: number }> {
    const res = await doFetch(m.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Saifu-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(m.secret, m.body, o.clock.now()),
        [DELIVERY_ID_HEADER]: m.deliveryId,
        [EVENT_HEADER]: m.event,
      },
      body: m.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
    if (res.status < 200 || res.status > 299)
      throw new DeliveryHttpError(res.status, `the endpoint answered ${res.status}`);
    return { status: res.status };
  };
}
export type WebhookSender = ReturnType<typeof webhookSender>;
