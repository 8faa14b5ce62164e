import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../src/ops/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorOtp } from './support/operators.ts';
import { walletUser } from './support/people.ts';
import { type World, createWorld } from './support/world.ts';

describe.each(DATABASES)('operators, bank switches and the audit chain on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w, { trustProxy: true });
    for (const role of ['support', 'fraud_analyst', 'compliance', 'admin'] as const) {
      const op = await w.ops.createOperator(`${role}@saifu.test`, role);
      const r = await call(app, 'POST', '/v1/admin/sessions', {
        headers: { 'x-forwarded-for': `192.0.2.${role.length}` },
        body: { email: op.email, password: op.password, otp: operatorOtp(w, op) },
      });
      expect(r.status).toBe(201);
      tokens[role] = r.json.token;
    }
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  it('roles decide who may switch a bank; users and anonymous callers are refused', async () => {
    const body = { linking: false, reason: 'test' };
    const user = await walletUser(app, w, { totp: false });
    expect((await call(app, 'PATCH', '/v1/admin/banks/0001', { body })).status).toBe(401);
    expect((await call(app, 'PATCH', '/v1/admin/banks/0001', { token: user.token, body })).json.error.code).toBe(
      'forbidden',
    );
    expect((await call(app, 'PATCH', '/v1/admin/banks/0001', { token: 'ops_forged', body })).status).toBe(401);
    const support = await call(app, 'PATCH', '/v1/admin/banks/0001', { token: tokens.support, body });
    expect([support.status, support.json.error.code]).toEqual([403, 'operator_forbidden']);
    expect((await call(app, 'GET', '/v1/admin/banks', { token: tokens.support })).json.data).toHaveLength(35);
    expect((await call(app, 'GET', '/v1/admin/audit', { token: tokens.support })).status).toBe(403);
    for (const role of ['fraud_analyst', 'compliance', 'admin']) {
      const r = await call(app, 'PATCH', '/v1/admin/banks/0001', {
        token: tokens[role],
        body: { linking: true, reason: `${role} check` },
      });
      expect(r.status, role).toBe(200);
    }
  });

  it('a switch needs a reason, takes effect at once, and is recorded with it', async () => {
    const noReason = await call(app, 'PATCH', '/v1/admin/banks/0009', {
      token: tokens.fraud_analyst,
      body: { charging: false },
    });
    expect([noReason.status, noReason.json.error.code]).toEqual([400, 'reason_required']);
    const blank = await call(app, 'PATCH', '/v1/admin/banks/0009', {
      token: tokens.fraud_analyst,
      body: { charging: false, reason: '   ' },
    });
    expect(blank.json.error.code).toBe('reason_required');
    const nothing = await call(app, 'PATCH', '/v1/admin/banks/0009', {
      token: tokens.fraud_analyst,
      body: { reason: 'no change' },
    });
    expect(nothing.json.error.code).toBe('invalid_request');
    const unknown = await call(app, 'PATCH', '/v1/admin/banks/9998', {
      token: tokens.fraud_analyst,
      body: { charging: false, reason: 'x' },
    });
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'unknown_bank']);
    const r = await call(app, 'PATCH', '/v1/admin/banks/0009', {
      token: tokens.fraud_analyst,
      body: { linking: false, charging: false, reason: 'unauthorised debits reported at 0009' },
    });
    expect(r.json).toMatchObject({ code: '0009', linking: false, charging: false, registrationChanges: true });
    // The very next read, by any part of the platform, sees it.
    expect(
      await w.db
        .selectFrom('bank_settings')
        .select(['linking', 'charging'])
        .where('bank_code', '=', '0009')
        .executeTakeFirstOrThrow(),
    ).toEqual({ linking: false, charging: false });
    const pub = (await call(app, 'GET', '/v1/banks?participating=true')).json.data.find(
      (b: { code: string }) => b.code === '0009',
    );
    expect(pub).toMatchObject({ linking: false, charging: false });
    const history = await call(app, 'GET', '/v1/admin/banks/0009/switch-changes', { token: tokens.support });
    expect(history.json.data[0]).toMatchObject({
      changes: { linking: false, charging: false },
      reason: 'unauthorised debits reported at 0009',
    });
    const audit = await call(app, 'GET', '/v1/admin/audit?limit=5', { token: tokens.compliance });
    expect(audit.json.data[0]).toMatchObject({
      action: 'bank.switches',
      target: '0009',
      details: { reason: 'unauthorised debits reported at 0009' },
    });
  });

  it('operator sign-in locks after 5 failures; every attempt and action is in the audit chain, which verifies', async () => {
    const op = await w.ops.createOperator('lockme@saifu.test', 'support');
    const headers = { 'x-forwarded-for': '192.0.2.77' };
    const codes = [];
    for (let i = 0; i < 6; i++)
      codes.push(
        (await call(app, 'POST', '/v1/admin/sessions', { headers, body: { email: op.email, password: 'wrong' } })).json
          .error.code,
      );
    expect(codes).toEqual([...Array(5).fill('invalid_credentials'), 'too_many_attempts']);
    const actions = (await sql<{ action: string }>`SELECT action FROM audit_log`.execute(w.db)).rows.map(
      (r) => r.action,
    );
    expect(actions).toEqual(
      expect.arrayContaining(['operator.create', 'operator.login', 'operator.login_failed', 'bank.switches']),
    );
    expect(await verifyAudit(w.db)).toMatchObject({ ok: true });
    const v = await call(app, 'GET', '/v1/admin/audit/verify', { token: tokens.admin });
    expect(v.json.ok).toBe(true);
    const out = await call(app, 'DELETE', '/v1/admin/sessions/current', { token: tokens.support });
    expect(out.status).toBe(204);
    expect((await call(app, 'GET', '/v1/admin/banks', { token: tokens.support })).status).toBe(401);
  });

  it('operators list and view cases; the view is audited; users cannot', async () => {
    const id = await w.db
      .insertInto('cases')
      .values({
        id: 'case_test1',
        kind: 'reverse_brute_force',
        bank_code: '0001',
        branch_code: '100',
        account_number: '1234567',
        details: JSON.stringify({ by: 'pin_value' }),
        created_at: w.clock.now(),
        updated_at: w.clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const list = await call(app, 'GET', '/v1/admin/cases?kind=reverse_brute_force', { token: tokens.fraud_analyst });
    expect(list.json.data[0]).toMatchObject({
      id: id.id,
      kind: 'reverse_brute_force',
      bankAccount: { bankCode: '0001', accountNumberLast4: '4567' },
      details: { by: 'pin_value' },
    });
    expect(JSON.stringify(list.json)).not.toContain('1234567');
    expect((await call(app, 'GET', `/v1/admin/cases/${id.id}`, { token: tokens.compliance })).json.id).toBe(id.id);
    expect((await call(app, 'GET', '/v1/admin/cases/case_nope', { token: tokens.compliance })).status).toBe(404);
    const user = await walletUser(app, w, { totp: false });
    expect((await call(app, 'GET', '/v1/admin/cases', { token: user.token })).status).toBe(403);
    const last = (await call(app, 'GET', '/v1/admin/audit?limit=1', { token: tokens.admin })).json.data[0];
    expect(last).toMatchObject({ action: 'case.view', target: id.id });
  });

  it('operators work a case: assign and move it with a note; final states stay final; every step is an event and audited', async () => {
    const id = await w.cases.openCase(
      'reverse_brute_force',
      { bankCode: '0001', branchCode: '100', accountNumber: '7654321' },
      { by: 'ip' },
    );
    const me = (await call(app, 'GET', '/v1/admin/me', { token: tokens.fraud_analyst })).json.id as string;
    const take = await call(app, 'PATCH', `/v1/admin/cases/${id}`, {
      token: tokens.fraud_analyst,
      body: { status: 'investigating', assignee: me, note: 'looking at the IP' },
    });
    expect(take.json).toMatchObject({ id, status: 'investigating', assignee: me });
    const mine = await call(app, 'GET', `/v1/admin/cases?assignee=${me}`, { token: tokens.compliance });
    expect(mine.status, mine.body).toBe(200);
    expect(mine.json.data.map((c: { id: string }) => c.id)).toEqual([id]);
    const support = await w.ops.createOperator('casesupport@ops.test', 'support');
    const supportToken = (await w.ops.login(support.email, support.password, {}, operatorOtp(w, support))).token;
    expect(
      (
        await call(app, 'PATCH', `/v1/admin/cases/${id}`, {
          token: supportToken,
          body: { status: 'resolved', note: 'no' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(app, 'PATCH', `/v1/admin/cases/${id}`, {
          token: tokens.compliance,
          body: { status: 'resolved', note: '  ' },
        })
      ).json.error.code,
    ).toBe('reason_required');
    expect(
      (
        await call(app, 'PATCH', `/v1/admin/cases/${id}`, {
          token: tokens.compliance,
          body: { status: 'resolved', note: 'blocked the source' },
        })
      ).json.status,
    ).toBe('resolved');
    const reopen = await call(app, 'PATCH', `/v1/admin/cases/${id}`, {
      token: tokens.admin,
      body: { status: 'open', note: 'again' },
    });
    expect([reopen.status, reopen.json.error.code]).toEqual([409, 'invalid_state']);
    const view = await call(app, 'GET', `/v1/admin/cases/${id}`, { token: tokens.admin });
    expect(view.status, view.body).toBe(200);
    expect(view.json.events.map((e: { from: string; to: string }) => `${e.from}>${e.to}`)).toEqual([
      'open>investigating',
      'investigating>resolved',
    ]);
    const audit = (await call(app, 'GET', '/v1/admin/audit?limit=5', { token: tokens.admin })).json.data as Array<{
      action: string;
      target: string;
    }>;
    expect(audit.filter((a) => a.target === id).map((a) => a.action)).toEqual([
      'case.view',
      'case.update',
      'case.update',
    ]);
    // Kind and status are closed sets in the database too.
    await expect(
      w.db
        .updateTable('cases')
        .set({ status: 'lost' as never })
        .where('id', '=', id)
        .execute(),
    ).rejects.toThrow();
  });

  it('the audit log is append-only, and tampering is found', async () => {
    await expect(sql`UPDATE audit_log SET details = '{}' WHERE seq = 1`.execute(w.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log WHERE seq = 1`.execute(w.db)).rejects.toThrow(/append-only/);
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`.execute(w.db);
    await sql`UPDATE audit_log SET details = '{"reason":"forged"}' WHERE seq = 2`.execute(w.db);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`.execute(w.db);
    expect(await verifyAudit(w.db)).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });
});
