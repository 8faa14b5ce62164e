import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp, ledgerSnapshot } from './support/http.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

let keySeq = 0;
const k = () => `key-${Date.now()}-${keySeq++}`;

describe.each(DATABASES)('money API on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let alice: Customer;
  let bob: Customer;
  let merchant: { id: string; apiKey: string };

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w);
    alice = await customer(w);
    bob = await customer(w);
    const m = await call(app, 'POST', '/sandbox/merchants', { body: { name: 'Corner Shop' } });
    merchant = m.json;
    const c = await call(app, 'POST', '/v1/charges', {
      token: alice.token,
      key: k(),
      body: { bankLinkId: alice.link.id, amount: 50_000 },
    });
    expect(c.json.status).toBe('succeeded');
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  describe('happy paths', () => {
    it('charge → 201 succeeded, visible in wallet and history', async () => {
      const r = await call(app, 'POST', '/v1/charges', {
        token: alice.token,
        key: k(),
        body: { bankLinkId: alice.link.id, amount: 1_000 },
      });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ status: 'succeeded', amount: 1_000, risk: { decision: 'allow' } });
      expect(r.json.id).toMatch(/^chg_/);
      const g = await call(app, 'GET', `/v1/charges/${r.json.id}`, { token: alice.token });
      expect(g.json.id).toBe(r.json.id);
      const wallet = await call(app, 'GET', '/v1/wallet', { token: alice.token });
      expect(wallet.json).toMatchObject({
        balance: 51_000,
        pending: { incoming: 0, outgoing: 0 },
        limits: { perCharge: 100_000, monthly: { limit: 300_000, used: 51_000, remaining: 249_000 } },
      });
    });

    it('payment, merchant lookup, refund by merchant key', async () => {
      const m = await call(app, 'GET', `/v1/merchants/${merchant.id}`, { token: alice.token });
      expect(m.json).toEqual({ id: merchant.id, name: 'Corner Shop' });
      const p = await call(app, 'POST', '/v1/payments', {
        token: alice.token,
        key: k(),
        body: { merchantId: merchant.id, amount: 3_000, description: 'coffee', reference: 'order-1' },
      });
      expect(p.status).toBe(201);
      expect(p.json).toMatchObject({ status: 'succeeded', amount: 3_000, reference: 'order-1' });
      const asMerchant = await call(app, 'GET', `/v1/payments/${p.json.id}`, { token: merchant.apiKey });
      expect(asMerchant.json.id).toBe(p.json.id);
      const r1 = await call(app, 'POST', `/v1/payments/${p.json.id}/refunds`, {
        token: merchant.apiKey,
        key: k(),
        body: { amount: 1_000 },
      });
      expect(r1.status).toBe(201);
      const r2 = await call(app, 'POST', `/v1/payments/${p.json.id}/refunds`, {
        token: merchant.apiKey,
        key: k(),
        body: { amount: 2_001 },
      });
      expect(r2).toMatchObject({ status: 422, json: { error: { code: 'refund_exceeds_payment' } } });
      const r3 = await call(app, 'POST', `/v1/payments/${p.json.id}/refunds`, {
        token: alice.token,
        key: k(),
        body: { amount: 1 },
      });
      expect(r3.status).toBe(403);
      const other = await call(app, 'POST', '/sandbox/merchants', { body: { name: 'Other' } });
      const r4 = await call(app, 'POST', `/v1/payments/${p.json.id}/refunds`, {
        token: other.json.apiKey,
        key: k(),
        body: { amount: 1 },
      });
      expect(r4.status).toBe(404);
    });

    it('transfer by user id and by phone (+81 form)', async () => {
      const t1 = await call(app, 'POST', '/v1/transfers', {
        token: alice.token,
        key: k(),
        body: { to: { userId: bob.actor.id }, amount: 2_000, message: 'lunch' },
      });
      expect(t1.status).toBe(201);
      const t2 = await call(app, 'POST', '/v1/transfers', {
        token: alice.token,
        key: k(),
        body: { to: { phone: `+81${bob.phone.slice(1)}` }, amount: 500 },
      });
      expect(t2.json).toMatchObject({ status: 'succeeded', to: { userId: bob.actor.id } });
      expect((await call(app, 'GET', '/v1/wallet', { token: bob.token })).json.balance).toBe(2_500);
      const self = await call(app, 'POST', '/v1/transfers', {
        token: alice.token,
        key: k(),
        body: { to: { userId: alice.actor.id }, amount: 1 },
      });
      expect(self.json.error.code).toBe('self_transfer');
      const nobody = await call(app, 'POST', '/v1/transfers', {
        token: alice.token,
        key: k(),
        body: { to: { userId: 'usr_nobody' }, amount: 1 },
      });
      expect(nobody).toMatchObject({ status: 422, json: { error: { code: 'recipient_unavailable' } } });
      expect((await call(app, 'GET', `/v1/transfers/${t1.json.id}`, { token: bob.token })).json).toMatchObject({
        status: 'succeeded',
        amount: 2_000,
      });
    });

    it('withdrawal credits the own bank account', async () => {
      const before = (await w.sandbox.bank.findAccount(alice.bankAccount))!.balance;
      const r = await call(app, 'POST', '/v1/withdrawals', {
        token: alice.token,
        key: k(),
        body: { bankLinkId: alice.link.id, amount: 4_000 },
      });
      expect(r).toMatchObject({ status: 201, json: { status: 'succeeded', amount: 4_000 } });
      expect((await w.sandbox.bank.findAccount(alice.bankAccount))!.balance).toBe(before + 4_000);
      const tooMuch = await call(app, 'POST', '/v1/withdrawals', {
        token: alice.token,
        key: k(),
        body: { bankLinkId: alice.link.id, amount: 9_000_000 },
      });
      expect(tooMuch).toMatchObject({ status: 422, json: { error: { code: 'insufficient_funds' } } });
    });

    it('lists transactions newest first with cursor pagination', async () => {
      const all = await call(app, 'GET', '/v1/transactions?limit=100', { token: alice.token });
      expect(all.json.data.length).toBeGreaterThanOrEqual(6);
      const page1 = await call(app, 'GET', '/v1/transactions?limit=2', { token: alice.token });
      expect(page1.json).toMatchObject({ has_more: true });
      const page2 = await call(app, 'GET', `/v1/transactions?limit=2&starting_after=${page1.json.data[1].id}`, {
        token: alice.token,
      });
      expect(page2.json.data[0].id).toBe(all.json.data[2].id);
      const bad = await call(app, 'GET', '/v1/transactions?limit=500', { token: alice.token });
      expect(bad.status).toBe(400);
    });

    it('bank links: list, get (last 4 digits only), other user gets 404', async () => {
      const l = await call(app, 'GET', '/v1/bank-links', { token: alice.token });
      expect(l.json.data[0]).toMatchObject({
        id: alice.link.id,
        status: 'active',
        accountNumberLast4: alice.link.accountNumber.slice(-4),
      });
      expect(JSON.stringify(l.json)).not.toContain(alice.link.accountNumber);
      const other = await call(app, 'GET', `/v1/bank-links/${alice.link.id}`, { token: bob.token });
      expect(other.status).toBe(404);
    });
  });

  describe('idempotency', () => {
    it('same key + same body replays; other body 422; missing 400', async () => {
      const key = k();
      const body = { merchantId: merchant.id, amount: 100 };
      const a = await call(app, 'POST', '/v1/payments', { token: alice.token, key, body });
      const before = await ledgerSnapshot(w);
      const b = await call(app, 'POST', '/v1/payments', { token: alice.token, key, body });
      expect(b.status).toBe(201);
      expect(b.json).toEqual(a.json);
      expect(b.headers['idempotent-replayed']).toBe('true');
      expect(await ledgerSnapshot(w)).toBe(before);
      const c = await call(app, 'POST', '/v1/payments', { token: alice.token, key, body: { ...body, amount: 101 } });
      expect(c).toMatchObject({ status: 422, json: { error: { code: 'idempotency_key_reused' } } });
      const d = await call(app, 'POST', '/v1/payments', { token: alice.token, body });
      expect(d).toMatchObject({ status: 400, json: { error: { code: 'idempotency_key_required' } } });
      expect(await ledgerSnapshot(w)).toBe(before);
    });

    it('keys are scoped per caller: the same key from another user is a new request', async () => {
      const key = k();
      const a = await call(app, 'POST', '/v1/payments', {
        token: alice.token,
        key,
        body: { merchantId: merchant.id, amount: 10 },
      });
      const b = await call(app, 'POST', '/v1/payments', {
        token: bob.token,
        key,
        body: { merchantId: merchant.id, amount: 10 },
      });
      expect(a.json.id).not.toBe(b.json.id);
    });

    it('a rejected request is replayed as the same rejection', async () => {
      const key = k();
      const body = { bankLinkId: alice.link.id, amount: 100_001 };
      const a = await call(app, 'POST', '/v1/charges', { token: alice.token, key, body });
      expect(a).toMatchObject({ status: 422, json: { error: { code: 'limit_exceeded' } } });
      const b = await call(app, 'POST', '/v1/charges', { token: alice.token, key, body });
      expect(b.body).toBe(a.body);
    });

    it('concurrent duplicates: one runs, the others are told it is in use or get its answer', async () => {
      const key = k();
      const body = { merchantId: merchant.id, amount: 7 };
      const before = (await call(app, 'GET', '/v1/wallet', { token: alice.token })).json.balance;
      const rs = await Promise.all(
        Array.from({ length: 5 }, () => call(app, 'POST', '/v1/payments', { token: alice.token, key, body })),
      );
      for (const r of rs) expect([201, 409]).toContain(r.status);
      for (const r of rs.filter((x) => x.status === 409)) expect(r.json.error.code).toBe('idempotency_key_in_use');
      expect(new Set(rs.filter((r) => r.status === 201).map((r) => r.json.id)).size).toBe(1);
      expect((await call(app, 'GET', '/v1/wallet', { token: alice.token })).json.balance).toBe(before - 7);
    });
  });

  describe('bad input changes nothing', () => {
    let before: string;
    beforeEach(async () => {
      before = await ledgerSnapshot(w);
    });
    const expectUnchanged = async () => expect(await ledgerSnapshot(w)).toBe(before);

    it.each([0, -100, 1.5, '100', 10_000_000_000, null, true, [1], { v: 1 }])(
      'amount %j → 400 invalid_amount on every money route',
      async (amount) => {
        for (const [url, body, token] of [
          ['/v1/charges', { bankLinkId: alice.link.id, amount }, alice.token],
          ['/v1/payments', { merchantId: merchant.id, amount }, alice.token],
          ['/v1/transfers', { to: { userId: bob.actor.id }, amount }, alice.token],
          ['/v1/withdrawals', { bankLinkId: alice.link.id, amount }, alice.token],
        ] as const) {
          const r = await call(app, 'POST', url, { token, key: k(), body });
          expect(r.status, url).toBe(400);
          expect(r.json.error.code, url).toBe('invalid_amount');
        }
        await expectUnchanged();
      },
    );

    it('missing fields, wrong types, unknown ids', async () => {
      const cases: Array<[string, unknown, number, string]> = [
        ['/v1/charges', { amount: 100 }, 400, 'invalid_request'],
        ['/v1/charges', { bankLinkId: 12, amount: 100 }, 400, 'invalid_request'],
        ['/v1/charges', { bankLinkId: 'lnk_nope', amount: 100 }, 404, 'unknown_bank_link'],
        ['/v1/charges', { bankLinkId: bob.link.id, amount: 100 }, 404, 'unknown_bank_link'],
        ['/v1/payments', { merchantId: 'mer_nope', amount: 100 }, 404, 'unknown_merchant'],
        ['/v1/payments', { merchantId: merchant.id, amount: 10_000_000 }, 422, 'insufficient_funds'],
        ['/v1/transfers', { to: {}, amount: 100 }, 400, 'invalid_request'],
        ['/v1/transfers', { to: { userId: bob.actor.id }, amount: 900_000 }, 422, 'insufficient_funds'],
        ['/v1/transfers', { to: { userId: bob.actor.id }, amount: 5_000_000 }, 422, 'limit_exceeded'],
        ['/v1/withdrawals', { bankLinkId: 'lnk_nope', amount: 100 }, 404, 'unknown_bank_link'],
      ];
      for (const [url, body, status, code] of cases) {
        const r = await call(app, 'POST', url, { token: alice.token, key: k(), body });
        expect([r.status, r.json?.error?.code], `${url} ${JSON.stringify(body)}`).toEqual([status, code]);
      }
      await expectUnchanged();
    });

    it('malformed JSON, oversize body, no auth, bad token, unknown route', async () => {
      expect(
        (await call(app, 'POST', '/v1/payments', { token: alice.token, key: k(), raw: '{"amount": 1,' })).json.error
          .code,
      ).toBe('invalid_json');
      const big = await call(app, 'POST', '/v1/payments', {
        token: alice.token,
        key: k(),
        raw: JSON.stringify({ merchantId: merchant.id, amount: 1, description: 'x'.repeat(70_000) }),
      });
      expect([big.status, big.json.error.code]).toEqual([413, 'payload_too_large']);
      expect(
        (await call(app, 'POST', '/v1/payments', { key: k(), body: { merchantId: merchant.id, amount: 1 } })).status,
      ).toBe(401);
      expect(
        (
          await call(app, 'POST', '/v1/payments', {
            token: 'ses_forged',
            key: k(),
            body: { merchantId: merchant.id, amount: 1 },
          })
        ).json.error.code,
      ).toBe('unauthorized');
      expect(
        (
          await call(app, 'POST', '/v1/payments', {
            token: merchant.apiKey,
            key: k(),
            body: { merchantId: merchant.id, amount: 1 },
          })
        ).status,
      ).toBe(403);
      expect((await call(app, 'GET', '/v1/nothing-here')).json.error.code).toBe('not_found');
      await expectUnchanged();
    });

    it('limits: over per-charge, and cooling-off', async () => {
      const r = await call(app, 'POST', '/v1/charges', {
        token: alice.token,
        key: k(),
        body: { bankLinkId: alice.link.id, amount: 100_001 },
      });
      expect(r.json.error).toMatchObject({ code: 'limit_exceeded', details: { limit: 'per_charge' } });
      await expectUnchanged();
    });
  });

  describe('bank faults', () => {
    it('bank down → 503 bank_unavailable, hold released, retry with the same key runs again', async () => {
      const c = await customer(w, { bankCode: '0009' });
      await w.sandbox.bank.setFault('0009', 'down', 1);
      const key = k();
      const r = await call(app, 'POST', '/v1/charges', {
        token: c.token,
        key,
        body: { bankLinkId: c.link.id, amount: 1_000 },
      });
      expect([r.status, r.json.error.code]).toEqual([503, 'bank_unavailable']);
      expect((await call(app, 'GET', '/v1/wallet', { token: c.token })).json).toMatchObject({
        balance: 0,
        pending: { incoming: 0 },
      });
      await w.sandbox.bank.setFault('0009', 'down', 0);
      const again = await call(app, 'POST', '/v1/charges', {
        token: c.token,
        key,
        body: { bankLinkId: c.link.id, amount: 1_000 },
      });
      expect(again.json.status).toBe('succeeded');
    });

    it('a duplicated bank response debits the bank once', async () => {
      const c = await customer(w, { bankCode: '0010' });
      await w.sandbox.bank.setFault('0010', 'duplicate', 1);
      const r = await call(app, 'POST', '/v1/charges', {
        token: c.token,
        key: k(),
        body: { bankLinkId: c.link.id, amount: 2_500 },
      });
      expect(r.json.status).toBe('succeeded');
      expect((await w.sandbox.bank.findAccount(c.bankAccount))!.balance).toBe(2_000_000 - 2_500);
      expect(await w.sandbox.bank.statement(c.bankAccount)).toHaveLength(1);
    });

    it('decline → 201 failed with failureCode', async () => {
      const c = await customer(w, { bankCode: '0017' });
      await w.sandbox.bank.setFault('0017', 'decline', 1);
      const r = await call(app, 'POST', '/v1/charges', {
        token: c.token,
        key: k(),
        body: { bankLinkId: c.link.id, amount: 2_500 },
      });
      expect(r).toMatchObject({ status: 201, json: { status: 'failed', failureCode: 'declined_by_bank' } });
    });
  });

  describe('users', () => {
    it('signup → SMS code → confirm → me; phone must be confirmed before money moves', async () => {
      const s = await call(app, 'POST', '/v1/signup', {
        body: { email: 'New@Example.test', phone: '+819055550000', password: 'a long password' },
      });
      expect(s.status).toBe(201);
      const token = s.json.token;
      const pay = await call(app, 'POST', '/v1/payments', {
        token,
        key: k(),
        body: { merchantId: merchant.id, amount: 1 },
      });
      expect(pay.json.error.code).toBe('phone_not_confirmed');
      const msgs = await call(app, 'GET', '/sandbox/messages?to=09055550000');
      const code = msgs.json.data[0].code;
      expect(
        (
          await call(app, 'POST', '/v1/me/phone/confirm', {
            token,
            body: { code: code === '000000' ? '111111' : '000000' },
          })
        ).json.error.code,
      ).toBe('invalid_otp');
      expect(
        (await call(app, 'POST', '/v1/me/phone/confirm', { token, body: { code } })).json.user.phoneConfirmed,
      ).toBe(true);
      const me = await call(app, 'GET', '/v1/me', { token });
      expect(me.json).toMatchObject({
        email: 'new@example.test',
        phone: '09055550000',
        phoneConfirmed: true,
        verification: 'unverified',
      });
      expect(
        (
          await call(app, 'POST', '/v1/signup', {
            body: { email: 'other@example.test', phone: '09055550000', password: 'a long password' },
          })
        ).json.error.code,
      ).toBe('signup_conflict');
      expect(
        (
          await call(app, 'POST', '/v1/signup', {
            body: { email: 'new@example.test', phone: '09055550001', password: 'a long password' },
          })
        ).json.error.code,
      ).toBe('signup_conflict');
      const login = await call(app, 'POST', '/v1/sessions', {
        body: { email: 'new@example.test', password: 'a long password' },
      });
      expect(login.status).toBe(201);
      expect(
        (await call(app, 'POST', '/v1/sessions', { body: { email: 'new@example.test', password: 'wrong password' } }))
          .json.error.code,
      ).toBe('invalid_credentials');
      expect((await call(app, 'DELETE', '/v1/sessions/current', { token: login.json.token })).status).toBe(204);
      expect((await call(app, 'GET', '/v1/me', { token: login.json.token })).status).toBe(401);
    });
  });

  it('serves OpenAPI 3.1 with the money paths, health and metrics', async () => {
    const o = await call(app, 'GET', '/openapi.json');
    expect(o.json.openapi).toBe('3.1.0');
    for (const p of ['/v1/charges', '/v1/payments', '/v1/transfers', '/v1/withdrawals', '/v1/wallet'])
      expect(Object.keys(o.json.paths)).toContain(p);
    expect((await call(app, 'GET', '/healthz')).status).toBe(200);
    expect((await call(app, 'GET', '/readyz')).json.status).toBe('ready');
    expect((await call(app, 'GET', '/metrics')).body).toContain('saifu_http_request_duration_seconds');
  });
});

describe('malformed HTTP', () => {
  it('a request line Node cannot parse is answered in the API error shape', async () => {
    const { createWorld: cw } = await import('./support/world.ts');
    const w = await cw('pglite');
    const app = await httpApp(w);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const { connect } = await import('node:net');
    const raw = await new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1', () =>
        sock.write('GET /v1/banks?q=\u307b\u3093 HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('close', () => resolve(out));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).error.code).toBe('invalid_request');
    await app.close();
    await w.close();
  });
});
