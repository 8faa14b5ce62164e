import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { ManualClock } from '../src/platform/index.ts';
import { createCircuitBreaker } from '../src/wallet/circuit-breaker.ts';
import { DATABASES } from './support/databases.ts';
import { call } from './support/http.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

let keySeq = 0;
const k = () => `idem-${Date.now()}-${keySeq++}`;

const count = async (
  w: World,
  table: 'charges' | 'withdrawals' | 'wallet_transfers' | 'refunds' | 'payments' | 'ledger_transfers',
) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(w.db)).rows[0]!.n);

describe('circuit breaker (per bank, injected clock)', () => {
  it('opens after K consecutive unavailable answers, lets one probe through after the cool-down, closes on its success', () => {
    const clock = new ManualClock();
    const b = createCircuitBreaker(clock, { failures: 3, coolDownMs: 10_000 });
    for (let i = 0; i < 2; i++) b.failed('0001');
    expect(b.check('0001')).toEqual({ pass: true, probe: false });
    b.succeeded('0001'); // an answer breaks the streak
    for (let i = 0; i < 3; i++) b.failed('0001');
    expect(b.check('0001')).toEqual({ pass: false, retryAfterMs: 10_000 });
    expect(b.check('0005')).toEqual({ pass: true, probe: false }); // other banks are not affected
    clock.advance(10_000);
    expect(b.check('0001')).toEqual({ pass: true, probe: true });
    expect(b.check('0001').pass).toBe(false); // only one probe at a time
    b.failed('0001'); // the probe failed: open again for a full cool-down
    expect(b.check('0001')).toEqual({ pass: false, retryAfterMs: 10_000 });
    clock.advance(10_000);
    expect(b.check('0001').pass).toBe(true);
    b.succeeded('0001');
    expect(b.state('0001')).toBe('closed');
  });

  it('a probe that never reports back frees its slot after a cool-down', () => {
    const clock = new ManualClock();
    const b = createCircuitBreaker(clock, { failures: 1, coolDownMs: 1_000 });
    b.failed('0001');
    clock.advance(1_000);
    expect(b.check('0001')).toMatchObject({ pass: true, probe: true });
    clock.advance(999);
    expect(b.check('0001').pass).toBe(false);
    clock.advance(1);
    expect(b.check('0001')).toMatchObject({ pass: true, probe: true });
  });
});

describe.each(DATABASES)('idempotency on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let alice: Customer;
  let bob: Customer;
  let merchant: { id: string; apiKey: string };
  const logged: Array<{ level: string; args: unknown[] }> = [];

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await buildApp(w, { sandbox: true, trustProxy: false, logLevel: 'silent' });
    // Every request's logger (a child of app.log) records what is logged at warn and above; the level is silent,
    // so nothing is written, but every call is seen.
    const makeChild = app.log.child.bind(app.log);
    app.log.child = ((bindings: Record<string, unknown>, opts?: Record<string, unknown>) => {
      const child = makeChild(bindings, opts);
      for (const level of ['warn', 'error', 'fatal'] as const)
        child[level] = ((...args: unknown[]) => void logged.push({ level, args })) as never;
      return child;
    }) as typeof app.log.child;
    await app.ready();
    alice = await customer(w);
    bob = await customer(w);
    merchant = (await call(app, 'POST', '/sandbox/merchants', { body: { name: 'Replay Shop' } })).json;
    expect(
      (
        await call(app, 'POST', '/v1/charges', {
          token: alice.token,
          key: k(),
          body: { bankLinkId: alice.link.id, amount: 50_000 },
        })
      ).json.status,
    ).toBe('succeeded');
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  it('every money route replays its answer without running again and without logging a warning or an error', async () => {
    const p = await call(app, 'POST', '/v1/payments', {
      token: alice.token,
      key: k(),
      body: { merchantId: merchant.id, amount: 2_000 },
    });
    const requests: Array<[string, string, unknown, string]> = [
      ['/v1/charges', alice.token, { bankLinkId: alice.link.id, amount: 1_000 }, 'charges'],
      ['/v1/payments', alice.token, { merchantId: merchant.id, amount: 100 }, 'payments'],
      ['/v1/transfers', alice.token, { to: { userId: bob.actor.id }, amount: 100 }, 'wallet_transfers'],
      ['/v1/withdrawals', alice.token, { bankLinkId: alice.link.id, amount: 100 }, 'withdrawals'],
      [`/v1/payments/${p.json.id}/refunds`, merchant.apiKey, { amount: 100 }, 'refunds'],
      ['/v1/charges', alice.token, { bankLinkId: alice.link.id, amount: 100_001 }, 'charges'], // a stored refusal
    ];
    for (const [url, token, body, table] of requests) {
      const key = k();
      const first = await call(app, 'POST', url, { token, key, body });
      expect(first.status, url).toBeLessThan(500);
      logged.length = 0;
      const before = [await count(w, table as never), await count(w, 'ledger_transfers')];
      for (let i = 0; i < 3; i++) {
        const again = await call(app, 'POST', url, { token, key, body });
        expect([again.status, again.body], url).toEqual([first.status, first.body]);
        expect(again.headers['idempotent-replayed'], url).toBe('true');
      }
      // Let anything a second run would do finish before counting.
      await new Promise((r) => setTimeout(r, 50));
      expect([await count(w, table as never), await count(w, 'ledger_transfers')], url).toEqual(before);
      expect(logged, url).toEqual([]);
    }
  });

  it('a key whose object committed but whose answer was never stored (a crash) answers with the object, as GET shows it', async () => {
    for (const [url, body, get] of [
      ['/v1/charges', { bankLinkId: alice.link.id, amount: 700 }, '/v1/charges/'],
      ['/v1/transfers', { to: { userId: bob.actor.id }, amount: 70 }, '/v1/transfers/'],
      ['/v1/withdrawals', { bankLinkId: alice.link.id, amount: 70 }, '/v1/withdrawals/'],
    ] as const) {
      const key = k();
      const first = await call(app, 'POST', url, { token: alice.token, key, body });
      expect(first.status, url).toBe(201);
      // What a kill -9 between the commit and the stored answer leaves: the record written with the object, in flight.
      const r = await w.db
        .updateTable('idempotency_keys')
        .set({ state: 'in_flight', response_status: null, response_body: null })
        .where('key', '=', key)
        .returning('object_id')
        .executeTakeFirstOrThrow();
      expect(r.object_id, url).toBe(first.json.id);
      logged.length = 0;
      const again = await call(app, 'POST', url, { token: alice.token, key, body });
      const shown = await call(app, 'GET', `${get}${first.json.id}`, { token: alice.token });
      expect([again.status, again.json], url).toEqual([201, shown.json]);
      expect(logged, url).toEqual([]);
    }
  });

  it('concurrent duplicates of a charge: one charge, every answer is that charge or 409', async () => {
    const key = k();
    const body = { bankLinkId: alice.link.id, amount: 300 };
    const before = await count(w, 'charges');
    const rs = await Promise.all(
      Array.from({ length: 6 }, () => call(app, 'POST', '/v1/charges', { token: alice.token, key, body })),
    );
    for (const r of rs) expect([201, 409]).toContain(r.status);
    expect(new Set(rs.filter((r) => r.status === 201).map((r) => r.json.id)).size).toBe(1);
    expect(await count(w, 'charges')).toBe(before + 1);
  });

  it('bank down: a retry keeps one object per key; after K failures the breaker answers 503 + Retry-After before writing anything; the probe after the cool-down runs the same charge', async () => {
    const c = await customer(w, { bankCode: '0033' });
    await w.sandbox.bank.setFault('0033', 'down', 1);
    const key = k();
    const body = { bankLinkId: c.link.id, amount: 1_000 };
    const first = await call(app, 'POST', '/v1/charges', { token: c.token, key, body });
    expect([first.status, first.json.error.code]).toEqual([503, 'bank_unavailable']);
    expect(Number(first.headers['retry-after'])).toBeGreaterThan(0);
    const chargeId = first.json.error.details.chargeId as string;
    // Retries with the same key run the same charge again: still one charge.
    for (let i = 0; i < 4; i++)
      expect((await call(app, 'POST', '/v1/charges', { token: c.token, key, body })).status).toBe(503);
    const mine = () => w.db.selectFrom('charges').select(['id', 'status']).where('user_id', '=', c.actor.id).execute();
    expect((await mine()).map((r) => r.id)).toEqual([chargeId]);
    // Five unavailable answers in a row opened the circuit: new keys are refused before anything is written.
    const writes = await count(w, 'ledger_transfers');
    const refused = await call(app, 'POST', '/v1/charges', { token: c.token, key: k(), body });
    expect([refused.status, refused.json.error.code]).toEqual([503, 'bank_unavailable']);
    expect(refused.headers['retry-after']).toBe('30');
    expect(await mine()).toHaveLength(1);
    expect(await count(w, 'ledger_transfers')).toBe(writes);
    // The bank comes back; after the cool-down the retry is the probe, and the key's one charge succeeds.
    await w.sandbox.bank.setFault('0033', 'down', 0);
    w.clock.advance(30_000);
    const again = await call(app, 'POST', '/v1/charges', { token: c.token, key, body });
    expect([again.status, again.json.id, again.json.status]).toEqual([201, chargeId, 'succeeded']);
    expect(await mine()).toEqual([{ id: chargeId, status: 'succeeded' }]);
    const replay = await call(app, 'POST', '/v1/charges', { token: c.token, key, body });
    expect([replay.status, replay.body]).toEqual([201, again.body]);
    expect((await call(app, 'GET', '/v1/wallet', { token: c.token })).json.balance).toBe(1_000);
  });

  it('bank down on a withdrawal: the retry after the outage runs the same withdrawal', async () => {
    const c = await customer(w, { bankCode: '0034' });
    expect(
      (
        await call(app, 'POST', '/v1/charges', {
          token: c.token,
          key: k(),
          body: { bankLinkId: c.link.id, amount: 5_000 },
        })
      ).json.status,
    ).toBe('succeeded');
    await w.sandbox.bank.setFault('0034', 'down', 1);
    const key = k();
    const body = { bankLinkId: c.link.id, amount: 2_000 };
    const first = await call(app, 'POST', '/v1/withdrawals', { token: c.token, key, body });
    expect([first.status, first.json.error.code]).toEqual([503, 'bank_unavailable']);
    expect((await call(app, 'GET', '/v1/wallet', { token: c.token })).json.balance).toBe(5_000);
    await w.sandbox.bank.setFault('0034', 'down', 0);
    const again = await call(app, 'POST', '/v1/withdrawals', { token: c.token, key, body });
    expect([again.status, again.json.id, again.json.status]).toEqual([
      201,
      first.json.error.details.withdrawalId,
      'succeeded',
    ]);
    expect(await w.db.selectFrom('withdrawals').select('id').where('user_id', '=', c.actor.id).execute()).toHaveLength(
      1,
    );
    expect((await call(app, 'GET', '/v1/wallet', { token: c.token })).json.balance).toBe(3_000);
  });
});
