import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/index.ts';
import { nonIntegerLiteralKeys } from '../src/http/input-guard.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp, ledgerSnapshot } from './support/http.ts';
import { operatorOtp } from './support/operators.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

type Method = 'GET' | 'POST' | 'DELETE' | 'PATCH';
// biome-ignore lint/suspicious/noExplicitAny: JSON Schema from the OpenAPI document, walked generically
type Schema = any;
interface Route {
  method: Method;
  path: string;
  pathParams: string[];
  queryParams: string[];
  body: Schema | undefined;
}

let seq = 0;
/** A fresh client address per request (the app trusts X-Forwarded-For), so rate limits stay out of the way. */
const fromNewIp = () => ({ 'x-forwarded-for': `198.18.${(seq >> 8) % 256}.${seq++ % 256}` });
const key = () => `edge-${seq++}`;

/** Every operation in the OpenAPI document. */
function routesOf(app: FastifyInstance): Route[] {
  const doc = app.swagger() as { paths: Record<string, Record<string, Schema>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([m, op]) => ({
      method: m.toUpperCase() as Method,
      path,
      pathParams: (op.parameters ?? []).filter((p: Schema) => p.in === 'path').map((p: Schema) => p.name as string),
      queryParams: (op.parameters ?? []).filter((p: Schema) => p.in === 'query').map((p: Schema) => p.name as string),
      body: op.requestBody?.content?.['application/json']?.schema,
    })),
  );
}

/** A value of the schema's shape (not necessarily one the route accepts): every string field filled with 'x'. */
function sample(s: Schema): unknown {
  if (!s) return 'x';
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return sample(alt.find((a: Schema) => a.type !== 'null') ?? alt[0]);
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' || s.properties)
    return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v)]));
  if (type === 'array') return [sample(s.items)];
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return true;
  return 'x';
}

/** Paths (as key lists) of every string in a sample value. */
function stringPaths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof v === 'string') return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...at, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...at, k]));
  return [];
}

function withValueAt(v: unknown, at: Array<string | number>, value: string): unknown {
  if (at.length === 0) return value;
  const copy = structuredClone(v) as Record<string | number, unknown>;
  const [head, ...rest] = at as [string | number, ...Array<string | number>];
  copy[head] = withValueAt(copy[head], rest, value);
  return copy;
}

const urlOf = (r: Route, params: Record<string, string> = {}) =>
  r.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? 'x');

function expectApiError(r: { status: number; json: Schema; body: string }, what: string, statuses = [400]): void {
  expect(statuses, `${what} → ${r.status} ${r.body.slice(0, 300)}`).toContain(r.status);
  expect(r.json?.error?.code, `${what}: API error shape`).toEqual(expect.any(String));
  expect(r.json.error.message, `${what}: message`).toEqual(expect.any(String));
  expect(r.json.statusCode, `${what}: not Fastify's native shape`).toBeUndefined();
}

describe.each(DATABASES)('the HTTP edge on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let alice: Customer;
  let bob: Customer;
  let merchant: { id: string; apiKey: string };
  let operatorToken: string;
  let routes: Route[];

  /** The credential each kind of route takes, so validation is reached rather than a 401. */
  const tokenFor = (r: Route): string => {
    if (r.path.startsWith('/v1/admin')) return operatorToken;
    if (r.path === '/v1/merchants/{id}' || r.path.endsWith('/refunds') || r.path.startsWith('/v1/payment-requests'))
      return merchant.apiKey;
    return alice.token;
  };
  const send = (
    r: Route,
    url: string,
    o: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = {
      ...fromNewIp(),
      authorization: `Bearer ${tokenFor(r)}`,
      'idempotency-key': key(),
      'x-device-id': 'edge-device',
      ...(o.headers ?? {}),
    };
    const payload = o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    return app.inject({ method: r.method, url, headers, ...(payload !== undefined ? { payload } : {}) }).then((res) => {
      let json: Schema = null;
      try {
        json = res.json();
      } catch {}
      return { status: res.statusCode, json, body: res.body };
    });
  };

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w, { trustProxy: true });
    alice = await customer(w);
    bob = await customer(w);
    merchant = (await call(app, 'POST', '/sandbox/merchants', { body: { name: 'Edge Shop' } })).json;
    const op = await w.ops.createOperator('edge@ops.test', 'admin', 'test');
    operatorToken = (
      await call(app, 'POST', '/v1/admin/sessions', {
        headers: fromNewIp(),
        body: { email: op.email, password: op.password, otp: operatorOtp(w, op) },
      })
    ).json.token;
    expect(operatorToken).toMatch(/^ops_/);
    const c = await call(app, 'POST', '/v1/charges', {
      token: alice.token,
      key: key(),
      body: { bankLinkId: alice.link.id, amount: 50_000 },
    });
    expect(c.json.status).toBe('succeeded');
    routes = routesOf(app);
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  it('walks every route of the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThan(40);
    for (const probe of [
      'POST /v1/sessions',
      'POST /v1/payments',
      'POST /v1/transfers',
      'POST /v1/identity-verifications',
      'POST /v1/admin/sessions',
      'POST /sandbox/identities',
      'GET /v1/payments/{id}',
    ]) {
      expect(routes.map((r) => `${r.method} ${r.path}`)).toContain(probe);
    }
  });

  it('a NUL in any path parameter is 400 invalid_request on every route', async () => {
    for (const r of routes.filter((x) => x.pathParams.length > 0)) {
      for (const p of r.pathParams) {
        const res = await send(r, urlOf(r, { [p]: 'usr_a%00b' }), r.body ? { body: sample(r.body) } : {});
        expectApiError(res, `${r.method} ${r.path} {${p}}=NUL`);
        expect(res.json.error.code).toBe('invalid_request');
      }
    }
  });

  it('a NUL, malformed percent-encoding or invalid UTF-8 in the query string is 400 on every route', async () => {
    for (const r of routes) {
      const names = r.queryParams.length > 0 ? r.queryParams : ['q'];
      for (const value of ['a%00b', '%FF%FE', '%ED%A0%80', 'a%']) {
        for (const name of names) {
          const res = await send(r, `${urlOf(r)}?${name}=${value}`, r.body ? { body: sample(r.body) } : {});
          expectApiError(res, `${r.method} ${r.path}?${name}=${value}`);
        }
      }
    }
  });

  it('a NUL or an unpaired surrogate in any string of any JSON body is 400 invalid_request, never stored', async () => {
    const before = await ledgerSnapshot(w);
    let probes = 0;
    for (const r of routes.filter((x) => x.body)) {
      const body = sample(r.body);
      for (const at of stringPaths(body)) {
        for (const bad of ['a\u0000b', '\u0000', 'a\ud800b', '\udc00']) {
          const res = await send(r, urlOf(r), { body: withValueAt(body, at, bad) });
          expectApiError(res, `${r.method} ${r.path} ${at.join('.')}=${JSON.stringify(bad)}`);
          expect(res.json.error.code).toBe('invalid_request');
          probes++;
        }
      }
      // A NUL in a key counts too.
      const res = await send(r, urlOf(r), { raw: JSON.stringify({ ...(body as object), 'k\u0000': 1 }) });
      expectApiError(res, `${r.method} ${r.path} key with NUL`);
    }
    expect(probes).toBeGreaterThan(100);
    expect(await ledgerSnapshot(w)).toBe(before);
  });

  it('a body that is not UTF-8 (0xFF 0xFE) is 400 invalid_request on every route that takes one', async () => {
    for (const r of routes.filter((x) => x.method !== 'GET')) {
      for (const raw of [
        Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
        Buffer.from('{"email":"a\xff\xfe"}', 'latin1'),
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
      ]) {
        const res = await send(r, urlOf(r), { raw });
        expectApiError(res, `${r.method} ${r.path} invalid UTF-8`);
        expect(res.json.error.message).toMatch(/UTF-8/);
      }
    }
  });

  it('NUL or control characters in X-Device-Id, Idempotency-Key or Authorization are 400 on every route', async () => {
    for (const r of routes) {
      for (const header of ['x-device-id', 'idempotency-key', 'authorization']) {
        const res = await send(r, urlOf(r), {
          headers: { [header]: header === 'authorization' ? 'Bearer a\u0000b' : 'a\u0000b' },
          ...(r.body ? { body: sample(r.body) } : {}),
        });
        expectApiError(res, `${r.method} ${r.path} ${header} with NUL`);
      }
    }
  });

  it('well-formed text outside the BMP still passes the edge (a surrogate pair is a real character)', async () => {
    const r = await call(app, 'POST', '/v1/payments', {
      token: alice.token,
      key: key(),
      body: { merchantId: merchant.id, amount: 100, description: 'お弁当 🍱', reference: 'ord-🍱' },
    });
    expect(r.status, r.body).toBe(201);
    expect(r.json).toMatchObject({ description: 'お弁当 🍱', reference: 'ord-🍱' });
  });

  it('ids far longer than any id answer in the API shape on every route with a path parameter', async () => {
    for (const r of routes.filter((x) => x.pathParams.length > 0)) {
      for (const long of ['a'.repeat(5000), 'a'.repeat(101), `usr_${'z'.repeat(80)}`]) {
        const res = await send(
          r,
          urlOf(r, { [r.pathParams[0] as string]: long }),
          r.body ? { body: sample(r.body) } : {},
        );
        expectApiError(res, `${r.method} ${r.path} id of ${long.length}`, [400, 404]);
      }
    }
  });

  it("Fastify's own errors come back in the API shape: too large, wrong media type, bad or empty JSON, bad URL", async () => {
    const sessions = {
      method: 'POST',
      path: '/v1/sessions',
      pathParams: [],
      queryParams: [],
      body: undefined,
    } as Route;
    const big = await send(sessions, '/v1/sessions', {
      raw: JSON.stringify({ email: 'x'.repeat(70_000), password: 'x' }),
    });
    expectApiError(big, 'body over 64 KiB', [413]);
    expect(big.json.error.code).toBe('payload_too_large');
    const xml = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expectApiError({ status: xml.statusCode, json: xml.json(), body: xml.body }, 'xml body', [400, 415]);
    for (const raw of ['{"email":', '', '{"__proto__":{"x":1}}', 'null x', '[']) {
      const res = await send(sessions, '/v1/sessions', { raw });
      expectApiError(res, `JSON ${JSON.stringify(raw)}`);
      expect(res.json.error.code).toBe('invalid_json');
    }
    for (const url of ['/v1/payments/%FF', '/v1/payments/%E0%A4%A', '/nowhere/%00']) {
      const res = await call(app, 'GET', url, { token: alice.token });
      expectApiError(res, url, [400, 404]);
    }
  });

  describe('amounts are integer yen in the raw JSON text', () => {
    const money = () => [
      { url: '/v1/charges', token: alice.token, body: { bankLinkId: alice.link.id } },
      { url: '/v1/payments', token: alice.token, body: { merchantId: merchant.id } },
      { url: '/v1/transfers', token: alice.token, body: { to: { userId: bob.actor.id } } },
      { url: '/v1/withdrawals', token: alice.token, body: { bankLinkId: alice.link.id } },
    ];

    it.each(['1e3', '1E3', '1.5e3', '1000.0', '100.00', '1e+3', '-1e3', '0.5'])(
      '"amount": %s is 400 invalid_amount on every money route, nothing moves',
      async (literal) => {
        const before = await ledgerSnapshot(w);
        for (const m of money()) {
          const raw = `${JSON.stringify(m.body).slice(0, -1)},"amount":${literal}}`;
          const r = await call(app, 'POST', m.url, { token: m.token, key: key(), raw });
          expect(r.status, `${m.url} ${raw} → ${r.body}`).toBe(400);
          expect(r.json.error.code).toBe('invalid_amount');
        }
        const pay = await call(app, 'POST', '/v1/payments', {
          token: alice.token,
          key: key(),
          body: { merchantId: merchant.id, amount: 500 },
        });
        const refund = await call(app, 'POST', `/v1/payments/${pay.json.id}/refunds`, {
          token: merchant.apiKey,
          key: key(),
          raw: `{"amount":${literal}}`,
        });
        expect(refund.json.error.code).toBe('invalid_amount');
        const bank = await call(app, 'POST', '/sandbox/bank-accounts', {
          raw: `{"bankCode":"0001","branchCode":"001","accountType":"ordinary","holderNameKana":"ﾔﾏﾀﾞ ﾀﾛｳ","birthDate":"1980-01-01","pin":"1234","phone":"09011112222","balance":${literal}}`,
        });
        expect(bank.json.error.code).toBe('invalid_amount');
        const after = await ledgerSnapshot(w);
        // Only the 500-yen payment above happened.
        expect(JSON.parse(after).counts[0].p).not.toBe(JSON.parse(before).counts[0].p);
      },
    );

    it('plain integers pass, and amount-like text inside a string value is not mistaken for an amount', async () => {
      const raw = `{"merchantId":${JSON.stringify(merchant.id)},"amount":1000,"description":"\\"amount\\": 1.5e3 and \\"amount\\":2.0","reference":"amount:1e3"}`;
      const r = await call(app, 'POST', '/v1/payments', { token: alice.token, key: key(), raw });
      expect(r.status, r.body).toBe(201);
      expect(r.json.amount).toBe(1000);
      expect(
        nonIntegerLiteralKeys('{"a":{"amount":1},"rate":0.5,"list":[1.5,{"amount":2e1}],"s":"\\\\","amount":3.0}'),
      ).toEqual(['rate', 'amount', 'amount']);
    });
  });
});

describe('rate limits count the client address, not the device id it claims', () => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld('pglite');
  });
  afterAll(async () => {
    await w.close();
  });
  const signIn = (app: FastifyInstance, headers: Record<string, string>) =>
    call(app, 'POST', '/v1/sessions', {
      headers,
      body: { email: `nobody-${seq++}@example.test`, password: 'wrong password here' },
    });

  it('30 sign-ins from one address, each with a new X-Device-Id: 429 after the limit of 10', async () => {
    const app = await httpApp(w);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await signIn(app, { 'x-device-id': `device-${i}-${seq++}` })).status);
    expect(
      statuses.slice(0, 10).every((s) => s !== 429),
      statuses.join(','),
    ).toBe(true);
    expect(
      statuses.slice(10).every((s) => s === 429),
      statuses.join(','),
    ).toBe(true);
    const last = await signIn(app, { 'x-device-id': 'yet-another' });
    expectApiError(last, '429', [429]);
    expect(last.json.error.code).toBe('too_many_attempts');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    await app.close();
  });

  it('without SAIFU_TRUST_PROXY, X-Forwarded-For is ignored: a new forwarded address per request does not reset the count', async () => {
    const app = await httpApp(w, { trustProxy: false });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++)
      statuses.push((await signIn(app, { 'x-forwarded-for': `203.0.113.${i + 1}`, 'x-device-id': `d${i}` })).status);
    expect(
      statuses.slice(10).every((s) => s === 429),
      statuses.join(','),
    ).toBe(true);
    await app.close();
  });

  it('with SAIFU_TRUST_PROXY, the first X-Forwarded-For address is the client: counted per that address', async () => {
    const app = await httpApp(w, { trustProxy: true });
    const statuses: number[] = [];
    // The same client behind changing proxy hops is still one client.
    for (let i = 0; i < 12; i++)
      statuses.push(
        (await signIn(app, { 'x-forwarded-for': `192.0.2.77, 10.0.0.${i + 1}`, 'x-device-id': `d${i}` })).status,
      );
    expect(
      statuses.slice(0, 10).every((s) => s !== 429),
      statuses.join(','),
    ).toBe(true);
    expect(
      statuses.slice(10).every((s) => s === 429),
      statuses.join(','),
    ).toBe(true);
    // Another client address has its own count.
    expect((await signIn(app, { 'x-forwarded-for': '192.0.2.78, 10.0.0.1' })).status).not.toBe(429);
    await app.close();
  });
});

describe('docs and metrics can be turned off or protected', () => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld('pglite');
  });
  afterAll(async () => {
    await w.close();
  });

  it('by default (development) /docs, /openapi.json and /metrics are open', async () => {
    const app = await httpApp(w);
    expect((await call(app, 'GET', '/openapi.json')).status).toBe(200);
    expect((await call(app, 'GET', '/docs')).status).toBeLessThan(400);
    expect((await call(app, 'GET', '/metrics')).status).toBe(200);
    await app.close();
  });

  it('docs off removes /docs and /openapi.json; metrics off removes /metrics (API-shaped 404s)', async () => {
    const app = await buildApp(w, {
      sandbox: false,
      trustProxy: false,
      logLevel: 'silent',
      docs: false,
      metrics: false,
    });
    for (const url of ['/docs', '/docs/', '/openapi.json', '/metrics'])
      expectApiError(await call(app, 'GET', url), url, [404]);
    await app.close();
  });

  it('a metrics token is required as a bearer token when set', async () => {
    const token = 'scrape-token-0123456789abcdef';
    const app = await buildApp(w, { sandbox: false, trustProxy: false, logLevel: 'silent', metricsToken: token });
    expectApiError(await call(app, 'GET', '/metrics'), 'no token', [401]);
    expectApiError(
      await call(app, 'GET', '/metrics', { token: 'scrape-token-0123456789abcdeX' }),
      'wrong token',
      [401],
    );
    const ok = await call(app, 'GET', '/metrics', { token });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('saifu_http_request_duration_seconds');
    await app.close();
  });
});

describe('production start-up (the saifu command)', () => {
  const saifu = (args: string[], env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'saifu-edge-'));
    try {
      const r = spawnSync(process.execPath, ['bin/saifu.mjs', ...args], {
        env: { PATH: process.env.PATH ?? '', SAIFU_DATA_DIR: dir, SAIFU_LOG_LEVEL: 'silent', ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const KEY = 'f3a91c07d2b84e6f5a0c9d1e7b3f2a6c8e4d0b9a1c7f5e3d2b8a6c4e0f9d1b7a';

  it('refuses to serve in production without real providers, in one line', () => {
    const r = saifu(['serve'], { SAIFU_ENV: 'production', SAIFU_SECRET_KEY: KEY });
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/no real bank or eKYC adapter/);
    const spaces = saifu(['serve'], {
      SAIFU_ENV: 'production',
      SAIFU_SECRET_KEY: ' '.repeat(32),
      SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS: '1',
    });
    expect(spaces.code).toBe(2);
    expect(spaces.err).toMatch(/SAIFU_SECRET_KEY/);
  }, 60_000);

  it('never prints the seeded operator password in production (staging on sandbox providers)', () => {
    const r = saifu(['seed'], {
      SAIFU_ENV: 'production',
      SAIFU_SECRET_KEY: KEY,
      SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS: '1',
    });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/password not printed in production/);
    expect(r.out).not.toMatch(/password (?!not printed)/);
    const dev = saifu(['seed'], {});
    expect(dev.out).toMatch(/password \S+/);
  }, 60_000);
});
