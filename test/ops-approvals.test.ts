import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/platform/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorSession } from './support/operators.ts';
import { type World, createWorld, customer } from './support/world.ts';

describe.each(DATABASES)('four-eyes approvals on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let first: { id: string; token: string };
  let second: { id: string; token: string };
  let support: string;
  let executions = 0;

  beforeAll(async () => {
    w = await createWorld(kind, { poolSize: 30 });
    app = await httpApp(w);
    first = await operatorSession(app, w, 'first@ops.test', 'fraud_analyst');
    second = await operatorSession(app, w, 'second@ops.test', 'compliance');
    support = (await operatorSession(app, w, 'support@ops.test', 'support')).token;
    w.ops.approvals.registerApprovalHandler('test.count', async (trx, payload) => {
      executions++;
      await sql`SELECT 1`.execute(trx);
      return { counted: payload.n };
    });
    w.ops.approvals.registerApprovalHandler('test.refuse', async () => {
      throw new AppError('invalid_state', 'the world moved on');
    });
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  const frozenAt = async (userId: string) =>
    (await w.db.selectFrom('users').select('frozen_at').where('id', '=', userId).executeTakeFirstOrThrow()).frozen_at;
  const act = (token: string, caseId: string, note = 'the holder called back: it was their spouse') =>
    call(app, 'POST', `/v1/admin/cases/${caseId}/actions`, { token, body: { action: 'unfreeze_wallet', note } });

  it('unfreezing a wallet frozen by an unauthorized report waits for a second operator, then runs once', async () => {
    const c = await customer(w);
    const { caseId } = await w.cases.reportUnauthorized(c.bankAccount);
    expect(await frozenAt(c.actor.id)).not.toBeNull();

    const asked = await act(first.token, caseId);
    expect(asked.status, asked.body).toBe(202);
    expect(asked.json.approval).toMatchObject({
      action: 'case.unfreeze_wallet',
      target: caseId,
      requestedBy: first.id,
      status: 'requested',
      decidedBy: null,
    });
    expect(await frozenAt(c.actor.id)).not.toBeNull();
    const id = asked.json.approval.id;
    // Asking again while it is open gives the same request.
    expect((await act(first.token, caseId)).json.approval.id).toBe(id);

    const self = await call(app, 'POST', `/v1/admin/approvals/${id}/approve`, {
      token: first.token,
      body: { note: 'me again' },
    });
    expect([self.status, self.json.error.code]).toEqual([403, 'self_approval']);
    const bySupport = await call(app, 'POST', `/v1/admin/approvals/${id}/approve`, {
      token: support,
      body: { note: 'x' },
    });
    expect([bySupport.status, bySupport.json.error.code]).toEqual([403, 'operator_forbidden']);
    const noNote = await call(app, 'POST', `/v1/admin/approvals/${id}/approve`, {
      token: second.token,
      body: { note: ' ' },
    });
    expect([noNote.status, noNote.json.error.code]).toEqual([400, 'reason_required']);
    expect(await frozenAt(c.actor.id)).not.toBeNull();

    const approved = await call(app, 'POST', `/v1/admin/approvals/${id}/approve`, {
      token: second.token,
      body: { note: 'checked the call recording' },
    });
    expect(approved.status, approved.body).toBe(200);
    expect(approved.json).toMatchObject({
      status: 'executed',
      decidedBy: second.id,
      result: { unfrozenWallets: [c.actor.id] },
    });
    expect(await frozenAt(c.actor.id)).toBeNull();
    for (const decision of ['approve', 'reject']) {
      const again = await call(app, 'POST', `/v1/admin/approvals/${id}/${decision}`, {
        token: second.token,
        body: { note: 'again' },
      });
      expect([again.status, again.json.error.code]).toEqual([409, 'invalid_state']);
    }

    const view = await call(app, 'GET', `/v1/admin/approvals/${id}`, { token: support });
    expect(view.json.status).toBe('executed');
    const listed = await call(app, 'GET', '/v1/admin/approvals?status=executed&action=case.unfreeze_wallet', {
      token: support,
    });
    expect(listed.json.data.map((a: { id: string }) => a.id)).toEqual([id]);
    const audit = await w.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target'])
      .where('action', 'in', ['approval.request', 'approval.execute', 'case.unfreeze_wallet'])
      .orderBy('seq')
      .execute();
    expect(audit).toEqual([
      { actor: first.id, action: 'approval.request', target: id },
      { actor: second.id, action: 'case.unfreeze_wallet', target: caseId },
      { actor: second.id, action: 'approval.execute', target: id },
    ]);
    expect((await w.ops.verifyAudit()).ok).toBe(true);
  });

  it('a rejected request changes nothing; a risk review is still unfrozen directly', async () => {
    const c = await customer(w);
    const { caseId } = await w.cases.reportUnauthorized(c.bankAccount);
    const id = (await act(first.token, caseId)).json.approval.id;
    const rejected = await call(app, 'POST', `/v1/admin/approvals/${id}/reject`, {
      token: second.token,
      body: { note: 'the bank says it was fraud' },
    });
    expect(rejected.json).toMatchObject({ status: 'rejected', decidedBy: second.id, result: null });
    expect(await frozenAt(c.actor.id)).not.toBeNull();
    // A new request may be made once the last one is decided.
    expect((await act(first.token, caseId)).json.approval.id).not.toBe(id);
  });

  it('an action that refuses leaves the request failed with its error, and nothing else', async () => {
    const a = await w.ops.approvals.requestApproval(undefined, {
      action: 'test.refuse',
      target: 'thing_1',
      payload: {},
      requestedBy: first.id,
      reason: 'try it',
    });
    const r = await call(app, 'POST', `/v1/admin/approvals/${a.id}/approve`, {
      token: second.token,
      body: { note: 'ok' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      status: 'failed',
      decidedBy: second.id,
      result: { error: { code: 'invalid_state', message: 'the world moved on' } },
    });
    await expect(
      w.ops.approvals.requestApproval(undefined, {
        action: 'nobody.handles',
        target: 'x',
        payload: {},
        requestedBy: first.id,
        reason: 'x',
      }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('the database refuses a decision by the requester', async () => {
    const a = await w.ops.approvals.requestApproval(undefined, {
      action: 'test.count',
      target: 'db_check',
      payload: { n: 0 },
      requestedBy: first.id,
      reason: 'check',
    });
    await expect(
      sql`UPDATE approvals SET status = 'rejected', decided_by = requested_by WHERE id = ${a.id}`.execute(w.db),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('20 parallel approvals by 20 operators: exactly one executes, the others get 409', async () => {
    const a = await w.ops.approvals.requestApproval(undefined, {
      action: 'test.count',
      target: 'parallel',
      payload: { n: 1 },
      requestedBy: first.id,
      reason: 'race it',
    });
    const before = executions;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        w.ops.approvals.decide({ id: `op_parallel_${i}`, role: 'admin' }, a.id, 'approve', 'yes'),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(
      Array(19).fill('invalid_state'),
    );
    expect(executions - before).toBe(1);
    const executed = await w.db
      .selectFrom('audit_log')
      .select('actor')
      .where('action', '=', 'approval.execute')
      .where('target', '=', a.id)
      .execute();
    expect(executed).toHaveLength(1);
    expect((await w.ops.approvals.getApproval(a.id)).status).toBe('executed');
  });
});
