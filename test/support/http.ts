import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../../src/http/index.ts';
import type { World } from './world.ts';

export async function httpApp(w: World, o: { trustProxy?: boolean } = {}): Promise<FastifyInstance> {
  const app = await buildApp(w, { sandbox: true, trustProxy: o.trustProxy ?? false, logLevel: 'silent' });
  await app.ready();
  return app;
}

export interface CallOptions {
  token?: string;
  key?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
  url: string,
  o: CallOptions = {},
) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.key) headers['idempotency-key'] = o.key;
  if (o.body !== undefined || o.raw !== undefined) headers['content-type'] ??= 'application/json';
  const r = await app.inject({
    method,
    url,
    headers,
    ...(o.raw !== undefined ? { payload: o.raw } : o.body !== undefined ? { payload: JSON.stringify(o.body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answered and assert on it
  let json: any = null;
  try {
    json = r.json();
  } catch {
    json = null;
  }
  return { status: r.statusCode, json, headers: r.headers, body: r.body };
}

/** Everything money-related, to prove that a rejected request changed nothing. */
export async function ledgerSnapshot(w: World): Promise<string> {
  const balances =
    await sql`SELECT account_id, slot, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_balances ORDER BY 1, 2`.execute(
      w.db,
    );
  const counts =
    await sql`SELECT (SELECT count(*) FROM ledger_transfers) t, (SELECT count(*) FROM charges) c, (SELECT count(*) FROM payments) p,
    (SELECT count(*) FROM wallet_transfers) wt, (SELECT count(*) FROM withdrawals) wd, (SELECT count(*) FROM refunds) r,
    (SELECT coalesce(sum(balance), 0) FROM sandbox_bank_accounts) bank`.execute(w.db);
  return JSON.stringify({ balances: balances.rows, counts: counts.rows });
}
