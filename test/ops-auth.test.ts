import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/ops/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorOtp } from './support/operators.ts';
import { type World, createWorld, newPhone } from './support/world.ts';

const ROLES: Role[] = ['support', 'fraud_analyst', 'compliance', 'admin'];
const ANY = ROLES;
const SWITCHERS: Role[] = ['fraud_analyst', 'compliance', 'admin'];
const AUDITORS: Role[] = ['compliance', 'admin'];

/** Every operator route, who may call it, and what a permitted caller gets (sign-in and sign-out are tested apart). */
const ROUTES: Array<{ method: 'GET' | 'PATCH' | 'POST'; url: string; body?: unknown; roles: Role[]; ok: number }> = [
  { method: 'GET', url: '/v1/admin/me', roles: ANY, ok: 200 },
  { method: 'GET', url: '/v1/admin/banks', roles: ANY, ok: 200 },
  {
    method: 'PATCH',
    url: '/v1/admin/banks/0001',
    body: { linking: true, reason: 'role check' },
    roles: SWITCHERS,
    ok: 200,
  },
  { method: 'GET', url: '/v1/admin/banks/0001/switch-changes', roles: ANY, ok: 200 },
  { method: 'GET', url: '/v1/admin/cases', roles: ANY, ok: 200 },
  { method: 'GET', url: '/v1/admin/cases/case_none', roles: ANY, ok: 404 },
  {
    method: 'PATCH',
    url: '/v1/admin/cases/case_none',
    body: { status: 'investigating', note: 'role check' },
    roles: SWITCHERS,
    ok: 404,
  },
  { method: 'GET', url: '/v1/admin/audit', roles: AUDITORS, ok: 200 },
  { method: 'GET', url: '/v1/admin/audit/verify', roles: AUDITORS, ok: 200 },
  { method: 'GET', url: '/v1/admin/approvals', roles: ANY, ok: 200 },
  { method: 'GET', url: '/v1/admin/approvals/apr_none', roles: ANY, ok: 404 },
  { method: 'POST', url: '/v1/admin/approvals/apr_none/approve', body: { note: 'x' }, roles: SWITCHERS, ok: 404 },
  { method: 'POST', url: '/v1/admin/approvals/apr_none/reject', body: { note: 'x' }, roles: SWITCHERS, ok: 404 },
];

let ipSeq = 1;
/** A distinct client address per sign-in, so the per-address rate limit stays out of tests about the lockout. */
const fromNewIp = () => ({ 'x-forwarded-for': `198.51.100.${ipSeq++ % 250}` });

describe.each(DATABASES)('operator sign-in and roles on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const tokens = {} as Record<Role, string>;
  const signIn = (email: string, password: string, otp?: string) =>
    call(app, 'POST', '/v1/admin/sessions', { headers: fromNewIp(), body: { email, password, otp } });

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w, { trustProxy: true });
    for (const role of ROLES) {
      const op = await w.ops.createOperator(`${role}@ops.test`, role, 'test');
      const r = await signIn(op.email, op.password, operatorOtp(w, op));
      expect(r.status).toBe(201);
      expect(r.json.token).toMatch(/^ops_/);
      expect(r.json.operator).toEqual({ id: op.id, email: op.email, role });
      tokens[role] = r.json.token;
    }
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  it('every admin route answers each role by its list: allowed roles pass, the others get 403 operator_forbidden', async () => {
    for (const route of ROUTES) {
      for (const role of ROLES) {
        const r = await call(app, route.method, route.url, {
          token: tokens[role],
          ...(route.body ? { body: route.body } : {}),
        });
        const got = route.roles.includes(role) ? r.status : `${r.status} ${r.json.error?.code}`;
        expect(got, `${role} ${route.method} ${route.url}`).toEqual(
          route.roles.includes(role) ? route.ok : '403 operator_forbidden',
        );
      }
    }
  });

  it('user sessions and merchant keys are refused with 403; missing, forged and unknown tokens with 401', async () => {
    const user = await w.identity.signup({
      email: `${newPhone()}@example.test`,
      phone: newPhone(),
      password: 'correct horse battery staple',
    });
    const merchant = await call(app, 'POST', '/sandbox/merchants', { body: { name: 'Ops Test Shop' } });
    for (const route of ROUTES) {
      const body = route.body ? { body: route.body } : {};
      const codes = await Promise.all(
        [undefined, 'ops_forged', 'ses_forged', 'sk_forged', 'garbage', user.token, merchant.json.apiKey].map(
          async (token) => {
            const r = await call(app, route.method, route.url, { ...(token ? { token } : {}), ...body });
            return `${r.status} ${r.json.error.code}`;
          },
        ),
      );
      expect(codes, `${route.method} ${route.url}`).toEqual([
        ...Array(5).fill('401 unauthorized'),
        '403 forbidden',
        '403 forbidden',
      ]);
    }
  });

  it('every /v1/admin route in the OpenAPI document but the sign-in needs an operator session', async () => {
    const doc = (await call(app, 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/admin'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    // Which roles may call each route is test/ops-roles.test.ts's matrix (it fails on a route it does not list).
    for (const r of routes.filter((x) => x !== 'POST /v1/admin/sessions')) {
      const [method, path] = r.split(' ') as ['GET' | 'PATCH' | 'DELETE' | 'POST', string];
      const res = await call(app, method, path.replace('{code}', '0001').replace(/\{[a-z]+\}/g, 'none_0000'));
      expect(res.status, r).toBe(401);
    }
  });

  it('five consecutive failures lock the email, for known and unknown emails alike; the lock lifts after a minute', async () => {
    const op = await w.ops.createOperator('locked@ops.test', 'support', 'test');
    for (const email of [op.email, 'nobody@ops.test']) {
      const codes = [];
      for (let i = 0; i < 6; i++) codes.push((await signIn(email, 'wrong password')).json.error.code);
      expect(codes, email).toEqual([...Array(5).fill('invalid_credentials'), 'too_many_attempts']);
    }
    const locked = await signIn(op.email, op.password);
    expect([locked.status, locked.json.error.code]).toEqual([429, 'too_many_attempts']);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    w.clock.advance(61_000);
    expect((await signIn(op.email, op.password, operatorOtp(w, op))).status).toBe(201);
  });

  it('only consecutive failures count: a success resets them', async () => {
    const op = await w.ops.createOperator('resets@ops.test', 'support', 'test');
    for (let i = 0; i < 4; i++) expect((await signIn(op.email, 'wrong')).status).toBe(401);
    expect((await signIn(op.email, op.password, operatorOtp(w, op))).status).toBe(201);
    for (let i = 0; i < 4; i++) expect((await signIn(op.email, 'wrong')).status).toBe(401);
    w.clock.advance(30_000); // a TOTP code is good once: the next sign-in uses the next one
    expect((await signIn(op.email, op.password, operatorOtp(w, op))).status).toBe(201);
  });

  it('parallel guesses cannot get past five failures', async () => {
    const op = await w.ops.createOperator('parallel@ops.test', 'support', 'test');
    const codes = (await Promise.all(Array.from({ length: 9 }, () => signIn(op.email, 'wrong')))).map(
      (r) => r.json.error.code,
    );
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(5);
    expect(codes.filter((c) => c === 'too_many_attempts')).toHaveLength(4);
  });

  it('sessions last 8 hours; a disabled operator can neither sign in nor use a session', async () => {
    const op = await w.ops.createOperator('expires@ops.test', 'admin', 'test');
    const token = (await signIn(op.email, op.password, operatorOtp(w, op))).json.token;
    w.clock.advance(8 * 3600_000 - 1000);
    expect((await call(app, 'GET', '/v1/admin/me', { token })).status).toBe(200);
    w.clock.advance(1000);
    expect((await call(app, 'GET', '/v1/admin/me', { token })).json.error.code).toBe('unauthorized');

    const other = await w.ops.createOperator('disabled@ops.test', 'admin', 'test');
    const live = (await signIn(other.email, other.password, operatorOtp(w, other))).json.token;
    await w.db.updateTable('operators').set({ disabled_at: w.clock.now() }).where('id', '=', other.id).execute();
    expect((await call(app, 'GET', '/v1/admin/me', { token: live })).status).toBe(401);
    expect((await signIn(other.email, other.password)).json.error.code).toBe('invalid_credentials');
  });

  it('signing out revokes the session at once', async () => {
    const op = await w.ops.createOperator('leaves@ops.test', 'compliance', 'test');
    const token = (await signIn(op.email, op.password, operatorOtp(w, op))).json.token;
    expect((await call(app, 'DELETE', '/v1/admin/sessions/current', { token })).status).toBe(204);
    expect((await call(app, 'GET', '/v1/admin/me', { token })).status).toBe(401);
    expect((await call(app, 'DELETE', '/v1/admin/sessions/current', { token })).status).toBe(401);
  });

  it('operators are created with a valid email and a known role, once per email', async () => {
    await expect(w.ops.createOperator('not-an-email', 'admin')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(w.ops.createOperator('x@ops.test', 'root' as Role)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(w.ops.createOperator(' Admin@OPS.test ', 'admin')).rejects.toMatchObject({ code: 'email_taken' });
  });
});
