import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/ops/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorSession } from './support/operators.ts';
import { type World, createWorld } from './support/world.ts';

const STAFF: Role[] = ['support', 'fraud_analyst', 'compliance', 'admin'];
const ALL: Role[] = [...STAFF, 'bank'];
const CASE_WORKERS: Role[] = ['fraud_analyst', 'compliance', 'admin'];
const AUDITORS: Role[] = ['compliance', 'admin'];
const RULE_AUTHORS: Role[] = ['fraud_analyst', 'admin'];
const PUBLISHERS: Role[] = ['fraud_analyst', 'compliance', 'admin'];

/**
 * Who may call every /v1/admin route ('public' = no session needed). A route the app serves that is missing here
 * fails the suite: add it with its roles (a route bank staff may call must also scope by bankScopeOf).
 */
const MATRIX: Record<string, Role[] | 'public'> = {
  'POST /v1/admin/sessions': 'public',
  'DELETE /v1/admin/sessions/current': ALL,
  'GET /v1/admin/me': ALL,
  'GET /v1/admin/banks': ALL,
  'PATCH /v1/admin/banks/:code': [...CASE_WORKERS, 'bank'],
  'GET /v1/admin/banks/:code/switch-changes': ALL,
  'GET /v1/admin/cases': ALL,
  'GET /v1/admin/cases/:id': ALL,
  'PATCH /v1/admin/cases/:id': CASE_WORKERS,
  'POST /v1/admin/cases/:id/actions': CASE_WORKERS,
  'GET /v1/admin/audit': AUDITORS,
  'GET /v1/admin/audit/verify': AUDITORS,
  'POST /v1/admin/relinks': CASE_WORKERS,
  'GET /v1/admin/relinks': STAFF,
  'GET /v1/admin/relinks/:id': STAFF,
  'POST /v1/admin/relinks/:id/resume': CASE_WORKERS,
  'GET /v1/admin/approvals': STAFF,
  'GET /v1/admin/approvals/:id': STAFF,
  'POST /v1/admin/approvals/:id/approve': CASE_WORKERS,
  'POST /v1/admin/approvals/:id/reject': CASE_WORKERS,
  'GET /v1/admin/risk/rule-sets': STAFF,
  'POST /v1/admin/risk/rule-sets': RULE_AUTHORS,
  'GET /v1/admin/risk/rule-sets/:version': STAFF,
  'GET /v1/admin/risk/rule-sets/:version/yaml': STAFF,
  'POST /v1/admin/risk/rule-sets/:version/publish': PUBLISHERS,
  'POST /v1/admin/risk/rule-sets/:version/rollback': PUBLISHERS,
  'POST /v1/admin/risk/rule-sets/:version/shadow': RULE_AUTHORS,
  'DELETE /v1/admin/risk/rule-sets/shadow': RULE_AUTHORS,
  'POST /v1/admin/risk/rule-sets/:version/backtest': RULE_AUTHORS,
  'POST /v1/admin/risk/rules/test': RULE_AUTHORS,
  'GET /v1/admin/risk/events': STAFF,
  'GET /v1/admin/risk/lists': STAFF,
  'POST /v1/admin/risk/lists': RULE_AUTHORS,
  'DELETE /v1/admin/risk/lists/:id': RULE_AUTHORS,
  'POST /v1/admin/merchants': AUDITORS,
  'GET /v1/admin/merchants': STAFF,
  'GET /v1/admin/merchants/:id': STAFF,
  'POST /v1/admin/merchants/:id/keys': AUDITORS,
  'POST /v1/admin/merchants/:id/suspend': AUDITORS,
  'POST /v1/admin/merchants/:id/reinstate': AUDITORS,
  'POST /v1/admin/incidents': CASE_WORKERS,
  'GET /v1/admin/incidents': ALL,
  'GET /v1/admin/incidents/:id': ALL,
  'GET /v1/admin/incidents/:id/links': ALL,
  'GET /v1/admin/incidents/:id/charges': ALL,
  'GET /v1/admin/incidents/:id/victims': ALL,
  'POST /v1/admin/incidents/:id/fraudulent-links': CASE_WORKERS,
  'GET /v1/admin/incidents/:id/remediation-plan': ALL,
  'POST /v1/admin/incidents/:id/payouts': CASE_WORKERS,
  'POST /v1/admin/incidents/:id/close': CASE_WORKERS,
  'GET /v1/admin/incidents/:id/report.csv': ALL,
  'GET /v1/admin/incidents/:id/report.pdf': ALL,
  'GET /v1/admin/incidents/:id/regulator-summary': ALL,
  'GET /v1/admin/cost-agreements': ALL,
  'POST /v1/admin/cost-agreements': AUDITORS,
  'GET /v1/admin/outbox': STAFF,
  'GET /v1/admin/outbox/:id': STAFF,
  'POST /v1/admin/outbox/:id/resend': AUDITORS,
};

/** Every route the app serves, from Fastify's own route tree (HEAD, added by Fastify for each GET, left out). */
function servedRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = `${stack[depth - 1] ?? ''}${m[2]}`;
    stack[depth] = path;
    for (const method of m[3]!.split(', ').filter((x) => x !== 'HEAD')) out.push(`${method} ${path}`);
  }
  return out;
}

/** A concrete URL: the bank operator's own bank, ids that name nothing (permitted callers get 400/404, never 401/403). */
const urlOf = (path: string) => path.replace(':code', '0001').replace(':version', '999').replace(':id', 'none_0000');

describe.each(DATABASES)('every admin route × every role on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const roles = {} as Record<Role, { email: string; password: string; token: string; totp: { secret: string } }>;

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w);
    for (const role of ALL)
      roles[role] = await operatorSession(app, w, `${role}-matrix@ops.test`, role, {
        ...(role === 'bank' ? { bankCode: '0001' } : {}),
      });
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  it('the matrix lists exactly the admin routes the app serves', () => {
    const admin = servedRoutes(app).filter((r) => r.split(' ')[1]!.startsWith('/v1/admin'));
    expect(admin.length).toBeGreaterThan(20);
    // A new admin route needs its line in MATRIX (and a route that left needs its line removed).
    expect(
      admin.filter((r) => !(r in MATRIX)),
      'admin routes missing from MATRIX',
    ).toEqual([]);
    expect(
      Object.keys(MATRIX).filter((r) => !admin.includes(r)),
      'MATRIX lines for routes not served',
    ).toEqual([]);
  });

  it('each role gets through exactly where the matrix says; no session is 401 everywhere but the sign-in', async () => {
    const answers: Record<string, string> = {};
    for (const [route, allowed] of Object.entries(MATRIX)) {
      if (allowed === 'public') continue;
      const [method, path] = route.split(' ') as ['GET' | 'POST' | 'PATCH' | 'DELETE', string];
      const url = urlOf(path);
      const body = method === 'GET' || method === 'DELETE' ? {} : { body: {} };
      const anonymous = await call(app, method, url, body);
      answers[`anonymous ${route}`] = `${anonymous.status} ${anonymous.json?.error?.code}`;
      for (const role of ALL) {
        let token = roles[role].token;
        if (route === 'DELETE /v1/admin/sessions/current') {
          // Signing out ends the session it is called with: use a throwaway one.
          w.clock.advance(30_000);
          token = (
            await operatorSession(app, w, `${role}-out-${w.clock.now().getTime()}@ops.test`, role, {
              ...(role === 'bank' ? { bankCode: '0001' } : {}),
            })
          ).token;
        }
        const r = await call(app, method, url, { token, ...body });
        const code = r.json?.error?.code;
        answers[`${role} ${route}`] = allowed.includes(role)
          ? r.status === 401 || r.status === 403
            ? `refused ${r.status} ${code}`
            : 'allowed'
          : `${r.status} ${code}`;
      }
    }
    const expected: Record<string, string> = {};
    for (const [route, allowed] of Object.entries(MATRIX)) {
      if (allowed === 'public') continue;
      expected[`anonymous ${route}`] = '401 unauthorized';
      for (const role of ALL)
        expected[`${role} ${route}`] = allowed.includes(role) ? 'allowed' : '403 operator_forbidden';
    }
    expect(answers).toEqual(expected);
  });
});
