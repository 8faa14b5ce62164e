import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorSession } from './support/operators.ts';
import { type World, createWorld, customer } from './support/world.ts';

describe.each(DATABASES)('bank staff see and switch only their own bank on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let bankA: string;
  let bankB: string;
  let staff: string;
  let caseA: string;
  let caseB: string;

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w);
    bankA = (await operatorSession(app, w, 'staff@bank-a.test', 'bank', { bankCode: '0001' })).token;
    bankB = (await operatorSession(app, w, 'staff@bank-b.test', 'bank', { bankCode: '0009' })).token;
    staff = (await operatorSession(app, w, 'analyst@saifu.test', 'fraud_analyst')).token;
    const a = await customer(w, { bankCode: '0001' });
    const b = await customer(w, { bankCode: '0009' });
    caseA = (await w.cases.reportUnauthorized(a.bankAccount)).caseId;
    caseB = (await w.cases.reportUnauthorized(b.bankAccount)).caseId;
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  it('a bank operator has exactly one bank: the role and the code go together (and the database says so)', async () => {
    await expect(w.ops.createOperator('nocode@bank.test', 'bank')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(w.ops.createOperator('code@saifu.test', 'admin', 'test', { bankCode: '0001' })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(w.ops.createOperator('x@bank.test', 'bank', 'test', { bankCode: '9999' })).rejects.toMatchObject({
      code: 'unknown_bank',
    });
    await expect(sql`UPDATE operators SET bank_code = NULL WHERE role = 'bank'`.execute(w.db)).rejects.toMatchObject({
      code: '23514',
    });
    await expect(
      sql`UPDATE operators SET bank_code = '0001' WHERE role = 'fraud_analyst'`.execute(w.db),
    ).rejects.toMatchObject({ code: '23514' });
    const me = await call(app, 'GET', '/v1/admin/me', { token: bankA });
    expect(me.json).toMatchObject({ role: 'bank', bankCode: '0001' });
  });

  it('cases: each bank lists and opens only its own customers’; the other’s is 403; staff see both', async () => {
    const listed = async (token: string) =>
      (await call(app, 'GET', '/v1/admin/cases', { token })).json.data.map((c: { id: string }) => c.id);
    expect(await listed(bankA)).toEqual([caseA]);
    expect(await listed(bankB)).toEqual([caseB]);
    expect((await listed(staff)).sort()).toEqual([caseA, caseB].sort());
    expect((await call(app, 'GET', `/v1/admin/cases/${caseA}`, { token: bankA })).status).toBe(200);
    const cross = await call(app, 'GET', `/v1/admin/cases/${caseA}`, { token: bankB });
    expect([cross.status, cross.json.error.code]).toEqual([403, 'operator_forbidden']);
    // Filters do not widen the scope.
    const kindFilter = await call(app, 'GET', '/v1/admin/cases?kind=unauthorized_report', { token: bankB });
    expect(kindFilter.json.data.map((c: { id: string }) => c.id)).toEqual([caseB]);
  });

  it('bank staff cannot act on cases, read the audit log or the approvals, or the risk engine', async () => {
    for (const [method, url, body] of [
      ['PATCH', `/v1/admin/cases/${caseA}`, { status: 'investigating', note: 'x' }],
      ['POST', `/v1/admin/cases/${caseA}/actions`, { action: 'unfreeze_wallet', note: 'x' }],
      ['GET', '/v1/admin/audit', undefined],
      ['GET', '/v1/admin/approvals', undefined],
      ['GET', '/v1/admin/risk/events', undefined],
      ['GET', '/v1/admin/risk/lists', undefined],
    ] as const) {
      const r = await call(app, method, url, { token: bankA, ...(body ? { body } : {}) });
      expect([r.status, r.json.error.code], `${method} ${url}`).toEqual([403, 'operator_forbidden']);
    }
  });

  it('switches: its own bank’s linking and charging, off only; never another bank’s', async () => {
    const patch = (token: string, code: string, body: object) =>
      call(app, 'PATCH', `/v1/admin/banks/${code}`, { token, body: { reason: 'bank test', ...body } });
    const off = await patch(bankA, '0001', { charging: false, linking: false });
    expect(off.status, off.body).toBe(200);
    expect(off.json).toMatchObject({ code: '0001', charging: false, linking: false });
    for (const body of [{ charging: true }, { linking: true }, { registrationChanges: false }]) {
      const r = await patch(bankA, '0001', body);
      expect([r.status, r.json.error.code], JSON.stringify(body)).toEqual([403, 'operator_forbidden']);
    }
    const other = await patch(bankA, '0009', { charging: false });
    expect([other.status, other.json.error.code]).toEqual([403, 'operator_forbidden']);
    expect((await w.banks.settings.settingsOf('0009'))?.charging).toBe(true);
    // Switching back on is Saifu's call, and linking comes back only under a cost-split agreement with the bank.
    expect((await patch(staff, '0001', { charging: true, linking: true })).json.error?.details?.reason).toBe(
      'cost_agreement_required',
    );
    await w.incidents.recordCostAgreement('op_compliance', {
      bankCode: '0001',
      operatorSharePct: 50,
      bankSharePct: 50,
      note: 'agreement for the bank role test',
    });
    expect((await patch(staff, '0001', { charging: true, linking: true })).status).toBe(200);
    const own = await call(app, 'GET', '/v1/admin/banks/0001/switch-changes', { token: bankA });
    expect(own.status).toBe(200);
    expect(own.json.data).toHaveLength(2);
    const theirs = await call(app, 'GET', '/v1/admin/banks/0001/switch-changes', { token: bankB });
    expect([theirs.status, theirs.json.error.code]).toEqual([403, 'operator_forbidden']);
  });
});
