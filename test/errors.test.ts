import Fastify, { type FastifyInstance } from 'fastify';
import { NoResultError, type QueryNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_CODES, LINK_FAILURE_CODES, MONEY_FAILURE_CODES } from '../src/db/index.ts';
import { ERROR_CODES, ERROR_CODES_BY_AREA, STATUS, handleError } from '../src/http/errors.ts';
import { inputAmount } from '../src/http/schemas.ts';
import { yen } from '../src/money/index.ts';
import { AppError } from '../src/platform/index.ts';
import { call, httpApp } from './support/http.ts';
import { type World, createWorld } from './support/world.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema from the OpenAPI document, walked generically
type Schema = any;

describe('one error vocabulary', () => {
  it('every area lists its own codes: each code once, and the HTTP table has a status for each and nothing else', () => {
    const all = Object.values(ERROR_CODES_BY_AREA).flat();
    expect(new Set(all).size).toBe(all.length);
    expect([...ERROR_CODES].sort()).toEqual(Object.keys(STATUS).sort());
    for (const [area, codes] of Object.entries(ERROR_CODES_BY_AREA))
      for (const c of codes) expect([area, STATUS[c]]).toEqual([area, expect.any(Number)]);
  });

  it('failure codes are one closed list; the merged one-time-code error is invalid_otp', () => {
    expect(new Set(FAILURE_CODES).size).toBe(FAILURE_CODES.length);
    expect([...MONEY_FAILURE_CODES, ...LINK_FAILURE_CODES].sort()).toEqual([...FAILURE_CODES].sort());
    expect(ERROR_CODES).toContain('invalid_otp');
    expect(ERROR_CODES).not.toContain('invalid_code');
    expect(ERROR_CODES).not.toContain('authorization_expired');
  });
});

describe('untyped failures become typed answers', () => {
  let app: FastifyInstance;
  const logged: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const stream = { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) };
    app = Fastify({ logger: { level: 'error', stream } });
    app.setErrorHandler(handleError);
    app.get('/missing-row', async () => {
      throw new NoResultError({ kind: 'SelectQueryNode' } as unknown as QueryNode);
    });
    app.get('/bad-stored-yen', async () => yen('12.5'));
    app.get('/bad-input-amount', async () => inputAmount(1.5));
    app.get('/typed-internal', async () => {
      throw new AppError('internal_error', 'a sandbox account number could not be allocated');
    });
    await app.ready();
  });
  afterAll(async () => app.close());

  it('a row that must exist and does not (executeTakeFirstOrThrow) is a 500 internal_error with the request id, logged with the route', async () => {
    const r = await app.inject({ method: 'GET', url: '/missing-row' });
    expect(r.statusCode).toBe(500);
    const body = r.json() as { error: { code: string; details: { requestId: string } } };
    expect(body.error.code).toBe('internal_error');
    expect(body.error.details.requestId).toEqual(expect.any(String));
    const entry = logged.find((l) => l.requestId === body.error.details.requestId);
    expect(entry).toMatchObject({ route: 'GET /missing-row', invariant: 'a row that must exist is missing' });
  });

  it('a stored amount that is not valid yen is a logged 500, never a 4xx', async () => {
    const r = await app.inject({ method: 'GET', url: '/bad-stored-yen' });
    expect([r.statusCode, r.json().error.code]).toEqual([500, 'internal_error']);
    expect(
      logged.some((l) => l.route === 'GET /bad-stored-yen' && l.invariant === 'a stored amount is not valid yen'),
    ).toBe(true);
  });

  it('an invalid amount from input is a 400 invalid_amount', async () => {
    const r = await app.inject({ method: 'GET', url: '/bad-input-amount' });
    expect([r.statusCode, r.json().error.code]).toEqual([400, 'invalid_amount']);
  });

  it('a typed internal_error is logged too', async () => {
    const r = await app.inject({ method: 'GET', url: '/typed-internal' });
    expect([r.statusCode, r.json().error.code]).toEqual([500, 'internal_error']);
    expect(logged.some((l) => l.route === 'GET /typed-internal')).toBe(true);
  });
});

describe('the OpenAPI document publishes the codes', () => {
  let w: World;
  let doc: { paths: Record<string, Record<string, Schema>>; components?: { schemas?: Record<string, Schema> } };
  beforeAll(async () => {
    w = await createWorld('pglite');
    const app = await httpApp(w);
    doc = (await call(app, 'GET', '/openapi.json')).json as typeof doc;
    await app.close();
  });
  afterAll(async () => w.close());

  const resolve = (s: Schema): Schema =>
    s?.$ref ? doc.components?.schemas?.[String(s.$ref).split('/').pop() ?? ''] : s;

  it('every error response of every route has an error.code enum, and each listed code maps to that status', () => {
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Schema>)) {
          if (Number(status) < 400) continue;
          const schema = resolve(response.content?.['application/json']?.schema);
          const codes = resolve(resolve(schema?.properties?.error)?.properties?.code)?.enum as string[] | undefined;
          expect(codes, `${method.toUpperCase()} ${path} ${status}`).toEqual(
            expect.arrayContaining([expect.any(String)]),
          );
          for (const c of codes ?? [])
            expect([`${method.toUpperCase()} ${path}`, c, STATUS[c as keyof typeof STATUS]]).toEqual([
              `${method.toUpperCase()} ${path}`,
              c,
              Number(status),
            ]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('failureCode on charges, withdrawals, transfers and links is an enum of the failure codes', () => {
    const failureEnums = new Set<string>();
    const walk = (s: Schema): void => {
      if (!s || typeof s !== 'object') return;
      if (s.properties?.failureCode?.enum) failureEnums.add(JSON.stringify([...s.properties.failureCode.enum].sort()));
      for (const v of Object.values(s)) walk(v);
    };
    walk(doc);
    expect(failureEnums).toEqual(
      new Set([JSON.stringify([...MONEY_FAILURE_CODES].sort()), JSON.stringify([...LINK_FAILURE_CODES].sort())]),
    );
    const strays: string[] = [];
    const findStrays = (s: Schema, at: string): void => {
      if (!s || typeof s !== 'object') return;
      if (s.properties?.failureCode && !s.properties.failureCode.enum) strays.push(at);
      for (const [k, v] of Object.entries(s)) findStrays(v, `${at}.${k}`);
    };
    findStrays(doc, '');
    expect(strays).toEqual([]);
  });
});
