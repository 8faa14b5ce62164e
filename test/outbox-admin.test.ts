import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/index.ts';
import { DEFAULT_POLICY } from '../src/wallet/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorSession } from './support/operators.ts';
import { type World, createWorld, customer } from './support/world.ts';

/** User notices wired to their events, and the operators' outbox API (list, detail with attempts, audited re-send). */
describe.each(DATABASES)('outbox notices and operators on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};
  const outboxTo = (to: string) =>
    w.db.selectFrom('outbox').selectAll().where('recipient', '=', to).orderBy('id').execute();

  beforeAll(async () => {
    w = await createWorld(kind, { policy: { ...DEFAULT_POLICY, coolingOffDays: 0 } });
    app = await httpApp(w);
    for (const role of ['support', 'compliance'] as const) {
      tokens[role] = (await operatorSession(app, w, `${role}-outbox@saifu.test`, role)).token;
      w.clock.advance(30_000);
    }
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  it('tells a user of a sign-in from a new device, not from a known one', async () => {
    const email = `devices-${kind}@example.test`;
    const password = 'a long enough password';
    const { user } = await w.identity.signup(
      { email, phone: '09022223333', password },
      { deviceId: 'device-aaaa-1111' },
    );
    await w.identity.login(email, password, undefined, { deviceId: 'device-aaaa-1111', ip: '203.0.113.1' });
    expect(await outboxTo(email)).toEqual([]);
    await w.identity.login(email, password, undefined, { deviceId: 'device-bbbb-2222', ip: '203.0.113.2' });
    await w.identity.login(email, password, undefined, { deviceId: 'device-bbbb-2222', ip: '203.0.113.2' });
    const rows = await outboxTo(email);
    expect(rows.map((r) => [r.template, r.channel, r.locale])).toEqual([['login_new_device', 'email', 'ja']]);
    expect(JSON.parse(rows[0]!.data)).toMatchObject({ device: 'device-b…', ip: '203.0.113.2' });
    // A freeze is told in the freeze's own transaction.
    await inTransaction(w.db, (trx) => w.identity.freezeUsers(trx, [user.id], w.clock.now()));
    expect((await outboxTo(email)).map((r) => r.template)).toEqual(['login_new_device', 'wallet_frozen']);
  });

  it('tells a user of a charge that succeeded, once', async () => {
    const c = await customer(w);
    const email = `${c.phone}@example.test`;
    const r = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: `outbox-charge-${kind}`,
      body: { bankLinkId: c.link.id, amount: 12_000 },
    });
    expect(r.json).toMatchObject({ status: 'succeeded' });
    const rows = await outboxTo(email);
    expect(rows.map((x) => x.template)).toEqual(['charge_succeeded']);
    expect(JSON.parse(rows[0]!.data)).toEqual({ amount: 12_000, chargeId: r.json.id });
    expect(rows[0]!.idempotency_key).toBe(`charge_succeeded:${r.json.id}`);
  });

  it('lists, shows and re-sends for operators; a re-send is for admin and compliance and is audited', async () => {
    const unauthenticated = await call(app, 'GET', '/v1/admin/outbox');
    expect(unauthenticated.status).toBe(401);
    const list = await call(app, 'GET', '/v1/admin/outbox?channel=email&status=pending&limit=1', {
      token: tokens.support,
    });
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ has_more: true, data: [{ channel: 'email', status: 'pending' }] });
    const next = await call(
      app,
      'GET',
      `/v1/admin/outbox?channel=email&limit=1&starting_after=${list.json.data[0].id}`,
      { token: tokens.support },
    );
    expect(next.json.data[0].id < list.json.data[0].id).toBe(true);
    const id = list.json.data[0].id as string;
    expect(
      (await call(app, 'POST', `/v1/admin/outbox/${id}/resend`, { token: tokens.compliance, body: { reason: 'x' } }))
        .json.error.code,
    ).toBe('invalid_state');
    await w.outbox.dispatch();
    const shown = await call(app, 'GET', `/v1/admin/outbox/${id}`, { token: tokens.support });
    expect(shown.json).toMatchObject({ id, status: 'sent', attempts: 1, deliveries: [{ attempt: 1, status: 'sent' }] });
    const refused = await call(app, 'POST', `/v1/admin/outbox/${id}/resend`, {
      token: tokens.support,
      body: { reason: 'the customer asked' },
    });
    expect([refused.status, refused.json.error.code]).toEqual([403, 'operator_forbidden']);
    const blank = await call(app, 'POST', `/v1/admin/outbox/${id}/resend`, {
      token: tokens.compliance,
      body: { reason: '  ' },
    });
    expect(blank.json.error.code).toBe('reason_required');
    const resent = await call(app, 'POST', `/v1/admin/outbox/${id}/resend`, {
      token: tokens.compliance,
      body: { reason: 'the customer asked' },
    });
    expect(resent.status).toBe(200);
    expect(resent.json).toMatchObject({ id, status: 'pending' });
    const audit = await w.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'outbox.resend')
      .where('target', '=', id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ reason: 'the customer asked' });
    expect((await call(app, 'GET', '/v1/admin/outbox/obx_missing', { token: tokens.support })).status).toBe(404);
  });
});
