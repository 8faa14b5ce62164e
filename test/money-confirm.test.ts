import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { isRetryable } from '../src/db/index.ts';
import { amount } from '../src/money/index.ts';
import { AppError } from '../src/platform/index.ts';
import type { Actor } from '../src/wallet/index.ts';
import { DATABASES, HAS_POSTGRES } from './support/databases.ts';
import { call, httpApp, ledgerSnapshot } from './support/http.ts';
import { latestCode, newDevice } from './support/people.ts';
import { type Customer, type World, createWorld, customer, newPhone } from './support/world.ts';

let seq = 0;
const k = () => `mc-${Date.now()}-${seq++}`;

/** Puts money in a wallet straight through the ledger (a test's shortcut past the monthly charge limit). */
async function fund(w: World, userId: string, yen: number): Promise<void> {
  const wallet = await w.wallet.accounts.walletAccountOf(userId);
  const source = await w.ledger.systemAccount(w.db, 'compensation');
  await w.db
    .transaction()
    .execute((trx) =>
      w.ledger.transfer(trx, [
        { debitAccountId: source, creditAccountId: wallet, amount: amount(yen), code: 'test_funding' },
      ]),
    );
}

/** A customer whose session holds no second factor, talking to the API from an address of its own. */
async function plainCustomer(
  w: World,
  opts: { verified?: boolean } = {},
): Promise<Customer & { headers: Record<string, string> }> {
  const c = await customer(w, { elevated: false, ...opts });
  return { ...c, headers: newDevice() };
}

const confirmWithSms = async (
  app: FastifyInstance,
  c: { token: string; phone: string; headers: Record<string, string> },
  url: string,
) => {
  await call(app, 'POST', '/v1/sessions/current/step-up/sms', { token: c.token, headers: c.headers });
  return call(app, 'POST', url, {
    token: c.token,
    key: k(),
    headers: c.headers,
    body: { smsCode: await latestCode(app, c.phone) },
  });
};

/** The confirmation elevates the session; the next request of a test must start from a plain session again. */
async function dropElevation(w: World, c: Customer): Promise<void> {
  await w.db.updateTable('sessions').set({ elevated_until: null }).where('user_id', '=', c.actor.id).execute();
  w.identity.forgetUser(c.actor.id);
}

describe.each(DATABASES)('money confirmation on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w, { trustProxy: true });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  const wallet = async (c: { token: string; headers?: Record<string, string> }) =>
    (await call(app, 'GET', '/v1/wallet', { token: c.token, ...(c.headers ? { headers: c.headers } : {}) })).json;
  const send = (c: { token: string; headers: Record<string, string> }, to: object, yen: number) =>
    call(app, 'POST', '/v1/transfers', { token: c.token, key: k(), headers: c.headers, body: { to, amount: yen } });

  it('four ¥49,999 transfers in a Tokyo day: the first moves, the rest wait for a factor with their money held', async () => {
    const [a, b] = [await plainCustomer(w), await plainCustomer(w)];
    await fund(w, a.actor.id, 250_000);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await send(a, { userId: b.actor.id }, 49_999));
    expect(results.map((r) => [r.status, r.json.status])).toEqual([
      [201, 'succeeded'],
      [201, 'requires_action'],
      [201, 'requires_action'],
      [201, 'requires_action'],
    ]);
    const waiting = results.slice(1).map((r) => r.json);
    for (const t of waiting)
      expect(t.nextAction).toEqual({
        type: 'confirm',
        methods: ['otp', 'passkey'],
        confirmUrl: `/v1/transfers/${t.id}/confirm`,
      });
    // Held: out of the sender's balance, incoming (not spendable) for the recipient.
    expect(await wallet(a)).toMatchObject({ balance: 250_000 - 4 * 49_999, pending: { outgoing: 3 * 49_999 } });
    expect(await wallet(b)).toMatchObject({ balance: 49_999, pending: { incoming: 3 * 49_999 } });
    // The sender sees the confirmation; the recipient sees the status only.
    expect((await call(app, 'GET', `/v1/transfers/${waiting[0].id}`, { token: a.token })).json).toMatchObject({
      status: 'requires_action',
      nextAction: { type: 'confirm' },
    });
    expect(
      (await call(app, 'GET', `/v1/transfers/${waiting[0].id}`, { token: b.token })).json.nextAction,
    ).toBeUndefined();

    // A wrong factor is refused (and counted by the step-up); the transfer still waits.
    const wrong = await call(app, 'POST', waiting[0].nextAction.confirmUrl, {
      token: a.token,
      key: k(),
      headers: a.headers,
      body: { smsCode: '000000' },
    });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect((await call(app, 'GET', `/v1/transfers/${waiting[0].id}`, { token: a.token })).json.status).toBe(
      'requires_action',
    );

    const ok = await confirmWithSms(app, a, waiting[0].nextAction.confirmUrl);
    expect([ok.status, ok.json.status]).toEqual([200, 'succeeded']);
    expect((await wallet(b)).balance).toBe(2 * 49_999);
    const again = await call(app, 'POST', waiting[0].nextAction.confirmUrl, {
      token: a.token,
      key: k(),
      headers: a.headers,
      body: { smsCode: '123456' },
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
    await dropElevation(w, a);

    // Unconfirmed for 15 minutes: voided by the periodic job, the money back with the sender.
    w.clock.advance(15 * 60_000 + 1);
    const job = await w.wallet.settleInFlight();
    expect(job.expired).toBe(2);
    for (const t of waiting.slice(1))
      expect((await call(app, 'GET', `/v1/transfers/${t.id}`, { token: a.token })).json).toMatchObject({
        status: 'failed',
        failureCode: 'confirmation_expired',
      });
    expect(await wallet(a)).toMatchObject({ balance: 250_000 - 2 * 49_999, pending: { outgoing: 0 } });
    expect(await wallet(b)).toMatchObject({ balance: 2 * 49_999, pending: { incoming: 0 } });
    const late = await confirmWithSms(app, a, waiting[1].nextAction.confirmUrl);
    expect([late.status, late.json.error.code]).toEqual([409, 'invalid_state']);
    await dropElevation(w, a);

    // The sum is per Asia/Tokyo day: tomorrow the first ¥49,999 moves again.
    expect((await send(a, { userId: b.actor.id }, 1)).json.status).toBe('requires_action');
    w.clock.advance(13 * 3600_000);
    expect((await send(a, { userId: b.actor.id }, 49_999)).json.status).toBe('succeeded');
  });

  it('a stepped-up session sends at once; a transfer that waits is confirmed once however many confirmations race', async () => {
    const [a, b] = [await customer(w), await plainCustomer(w)];
    await fund(w, a.actor.id, 200_000);
    const direct = await w.wallet.transfers.createTransfer(a.actor, {
      to: { userId: b.actor.id },
      amount: amount(120_000),
    });
    expect(direct.status).toBe('succeeded');
    const plain: Actor = { ...a.actor, session: { id: a.actor.session!.id, elevatedUntil: null } };
    const t = await w.wallet.transfers.createTransfer(plain, { to: { userId: b.actor.id }, amount: amount(10_000) });
    expect(t.status).toBe('requires_action');
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => w.wallet.transfers.confirmTransfer(a.actor, t.id)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await w.wallet.history.summary(b.actor)).balance).toBe(130_000);
  });

  it('the first withdrawal to a link waits with its money held; confirm calls the bank; unconfirmed ones are voided', async () => {
    const c = await plainCustomer(w);
    await fund(w, c.actor.id, 30_000);
    const bankBefore = (await w.sandbox.bank.findAccount(c.bankAccount))!.balance;
    const wd = await call(app, 'POST', '/v1/withdrawals', {
      token: c.token,
      key: k(),
      headers: c.headers,
      body: { bankLinkId: c.link.id, amount: 10_000 },
    });
    expect([wd.status, wd.json.status, wd.json.nextAction?.confirmUrl]).toEqual([
      201,
      'requires_action',
      `/v1/withdrawals/${wd.json.id}/confirm`,
    ]);
    expect(await wallet(c)).toMatchObject({ balance: 20_000, pending: { outgoing: 10_000 } });
    expect((await w.sandbox.bank.findAccount(c.bankAccount))!.balance).toBe(bankBefore);
    const ok = await confirmWithSms(app, c, wd.json.nextAction.confirmUrl);
    expect([ok.status, ok.json.status]).toEqual([200, 'succeeded']);
    expect((await call(app, 'GET', `/v1/withdrawals/${wd.json.id}`, { token: c.token })).json.status).toBe('succeeded');
    expect((await w.sandbox.bank.findAccount(c.bankAccount))!.balance).toBe(bankBefore + 10_000);
    await dropElevation(w, c);
    // Not the first any more: the next one goes straight to the bank.
    expect(
      (
        await call(app, 'POST', '/v1/withdrawals', {
          token: c.token,
          key: k(),
          headers: c.headers,
          body: { bankLinkId: c.link.id, amount: 1_000 },
        })
      ).json.status,
    ).toBe('succeeded');

    const d = await plainCustomer(w);
    await fund(w, d.actor.id, 5_000);
    const waiting = await call(app, 'POST', '/v1/withdrawals', {
      token: d.token,
      key: k(),
      headers: d.headers,
      body: { bankLinkId: d.link.id, amount: 5_000 },
    });
    expect(waiting.json.status).toBe('requires_action');
    w.clock.advance(15 * 60_000 + 1);
    await w.wallet.settleInFlight();
    expect((await call(app, 'GET', `/v1/withdrawals/${waiting.json.id}`, { token: d.token })).json).toMatchObject({
      status: 'failed',
      failureCode: 'confirmation_expired',
    });
    expect(await wallet(d)).toMatchObject({ balance: 5_000, pending: { outgoing: 0 } });
  });

  it('waiting charges hold balance-cap headroom: no three ¥60,000 charges past the cap, incoming transfers see them, confirm re-checks', async () => {
    const c = await plainCustomer(w);
    await fund(w, c.actor.id, 900_000);
    const charge = (yen: number) =>
      call(app, 'POST', '/v1/charges', {
        token: c.token,
        key: k(),
        headers: c.headers,
        body: { bankLinkId: c.link.id, amount: yen },
      });
    const first = await charge(60_000);
    expect([first.status, first.json.status]).toEqual([201, 'requires_action']);
    for (let i = 0; i < 2; i++)
      expect((await charge(60_000)).json).toMatchObject({
        error: { code: 'limit_exceeded', details: { limit: 'balance_cap', remaining: 40_000 } },
      });
    // An incoming transfer sees the waiting charge's headroom too.
    const sender = await customer(w);
    await fund(w, sender.actor.id, 50_000);
    await expect(
      w.wallet.transfers.createTransfer(sender.actor, { to: { userId: c.actor.id }, amount: amount(50_000) }),
    ).rejects.toMatchObject({ code: 'recipient_unavailable' });
    // Money that arrived meanwhile (here straight through the ledger) is seen by the confirmation.
    await fund(w, c.actor.id, 60_000);
    const refused = await confirmWithSms(app, c, first.json.nextAction.confirmUrl);
    expect(refused.json).toMatchObject({ error: { code: 'limit_exceeded', details: { limit: 'balance_cap' } } });
    expect((await call(app, 'GET', `/v1/charges/${first.json.id}`, { token: c.token })).json.status).toBe(
      'requires_action',
    );
    expect((await wallet(c)).balance).toBe(960_000);
  });

  it('a security hold stops outgoing transfers and withdrawals (creation and confirmation), not payments', async () => {
    const [a, b] = [await plainCustomer(w), await plainCustomer(w)];
    await fund(w, a.actor.id, 100_000);
    const waiting = await send(a, { userId: b.actor.id }, 60_000);
    expect(waiting.json.status).toBe('requires_action');
    const until = new Date(w.clock.now().getTime() + 24 * 3600_000);
    await w.db.updateTable('users').set({ security_hold_until: until }).where('id', '=', a.actor.id).execute();
    // The actor the session cached a moment ago does not know yet: the row read under the wallet lock does.
    const stale: Actor = { ...a.actor, securityHoldUntil: null };
    const before = await ledgerSnapshot(w);
    await expect(
      w.wallet.transfers.createTransfer(stale, { to: { userId: b.actor.id }, amount: amount(1_000) }),
    ).rejects.toMatchObject({ code: 'security_hold', details: { until: until.toISOString() } });
    await expect(
      w.wallet.withdrawals.createWithdrawal(stale, { bankLinkId: a.link.id, amount: amount(1_000) }),
    ).rejects.toMatchObject({ code: 'security_hold' });
    w.identity.forgetUser(a.actor.id);
    const http = await send(a, { userId: b.actor.id }, 1_000);
    expect([http.status, http.json.error.code, http.json.error.details.until]).toEqual([
      422,
      'security_hold',
      until.toISOString(),
    ]);
    const confirm = await confirmWithSms(app, a, waiting.json.nextAction.confirmUrl);
    expect([confirm.status, confirm.json.error.code]).toEqual([422, 'security_hold']);
    expect(await ledgerSnapshot(w)).toBe(before);
    const m = await w.wallet.payments.createMerchant('Corner Shop');
    expect(
      (
        await call(app, 'POST', '/v1/payments', {
          token: a.token,
          key: k(),
          headers: a.headers,
          body: { merchantId: m.id, amount: 500 },
        })
      ).status,
    ).toBe(201);
    w.clock.advance(24 * 3600_000 + 1);
    w.identity.forgetUser(a.actor.id);
    expect((await send(a, { userId: b.actor.id }, 1_000)).json.status).toBe('succeeded');
  });

  it('a failed transfer says nothing about the phone, and failed lookups are limited per sender and day', async () => {
    const a = await customer(w);
    const headers = newDevice();
    const me = { token: a.token, headers };
    await fund(w, a.actor.id, 100_000);
    const unconfirmedPhone = newPhone();
    await w.identity.signup({
      email: `${unconfirmedPhone}@example.test`,
      phone: unconfirmedPhone,
      password: 'correct horse battery staple',
    });
    const unverified = await customer(w, { verified: false });
    const answers = [
      await send(me, { phone: newPhone() }, 20_000),
      await send(me, { phone: unconfirmedPhone }, 20_000),
      await send(me, { phone: unverified.phone }, 20_000),
      await send(me, { userId: 'usr_nobody' }, 20_000),
    ];
    for (const r of answers) expect([r.status, r.json.error]).toEqual([422, answers[0]!.json.error]);
    expect(answers[0]!.json.error.code).toBe('recipient_unavailable');
    expect(answers[0]!.json.error.details).toBeUndefined();
    // Transfers that move money do not use the budget.
    for (let i = 0; i < 12; i++)
      expect((await send(me, { phone: unverified.phone }, 100)).json.status).toBe('succeeded');
    // Three phone lookups failed above (the unknown user id is not counted: ids cannot be guessed); seven more spend the budget.
    for (let i = 0; i < 7; i++)
      expect((await send(me, { phone: newPhone() }, 100)).json.error.code).toBe('recipient_unavailable');
    const spent = await send(me, { phone: unverified.phone }, 100);
    expect([spent.status, spent.json.error.code]).toEqual([429, 'too_many_attempts']);
    expect(Number(spent.headers['retry-after'])).toBeGreaterThan(0);
    w.clock.advance(24 * 3600_000);
    expect((await send(me, { phone: unverified.phone }, 100)).json.status).toBe('succeeded');
  });

  it('POST /v1/transfers is rate-limited per IP', async () => {
    const a = await customer(w);
    const headers = newDevice();
    const codes: number[] = [];
    for (let i = 0; i < 31; i++)
      codes.push(
        (
          await call(app, 'POST', '/v1/transfers', {
            token: a.token,
            key: k(),
            headers,
            body: { to: { userId: 'bad' }, amount: 1 },
          })
        ).status,
      );
    expect(codes.slice(0, 30).every((s) => s !== 429)).toBe(true);
    expect(codes[30]).toBe(429);
  });
});

/** Races only show on PostgreSQL (PGlite runs one transaction at a time). */
describe.skipIf(!HAS_POSTGRES)('money confirmation under concurrency on PostgreSQL', () => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld('postgres', { poolSize: 30 });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await w.close();
  });

  const codesOf = (results: PromiseSettledResult<unknown>[]) =>
    results.flatMap((r) => {
      if (r.status === 'fulfilled') return [];
      expect(isRetryable(r.reason), String(r.reason)).toBe(false);
      expect(r.reason, String(r.reason)).toBeInstanceOf(AppError);
      return [(r.reason as AppError).code];
    });

  it('20 parallel ¥49,999 transfers without a factor: exactly one moves, the rest wait with their money held', async () => {
    const [a, b] = [await customer(w, { elevated: false }), await customer(w)];
    await fund(w, a.actor.id, 1_000_000);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        w.wallet.transfers.createTransfer(a.actor, { to: { userId: b.actor.id }, amount: amount(49_999) }),
      ),
    );
    const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.status] : []));
    expect(codesOf(results)).toEqual([]);
    expect(done.filter((s) => s === 'succeeded')).toHaveLength(1);
    expect((await w.wallet.history.summary(b.actor)).balance).toBe(49_999);
    const pending = (await w.wallet.history.summary(a.actor)).pending.outgoing;
    expect(pending).toBe(done.filter((s) => s === 'requires_action').length * 49_999);
  });

  it('10 parallel confirmations of charges filling the cap, racing incoming transfers: the cap holds', async () => {
    const c = await customer(w, { elevated: false });
    await fund(w, c.actor.id, 700_000);
    const waiting = [];
    for (let i = 0; i < 10; i++)
      waiting.push(await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(30_000) }));
    expect(waiting.every((x) => x.status === 'requires_action')).toBe(true);
    const senders = await Promise.all(Array.from({ length: 5 }, () => customer(w)));
    for (const s of senders) await fund(w, s.actor.id, 10_000);
    const confirmer: Actor = {
      ...c.actor,
      session: { id: c.actor.session!.id, elevatedUntil: new Date(w.clock.now().getTime() + 60_000).toISOString() },
    };
    const ops = [
      ...waiting.map((x) => w.wallet.charges.confirmCharge(confirmer, x.id)),
      ...senders.map((s) =>
        w.wallet.transfers.createTransfer(s.actor, { to: { userId: c.actor.id }, amount: amount(10_000) }),
      ),
    ];
    const results = await Promise.allSettled(ops);
    // The waiting charges held the headroom: they all fit, and no transfer squeezes in beside them.
    expect(codesOf(results)).toEqual(Array(5).fill('recipient_unavailable'));
    expect(
      results
        .slice(0, 10)
        .every((r) => r.status === 'fulfilled' && r.value.object === 'charge' && r.value.status === 'succeeded'),
    ).toBe(true);
    expect((await w.wallet.history.summary(c.actor)).balance).toBe(1_000_000);
  });

  it('30 parallel lookups of unknown phones: exactly the daily budget is evaluated', async () => {
    const a = await customer(w);
    await fund(w, a.actor.id, 10_000);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () =>
        w.wallet.transfers.createTransfer(a.actor, { to: { phone: newPhone() }, amount: amount(100) }),
      ),
    );
    const codes = codesOf(results);
    expect(codes.filter((c) => c === 'recipient_unavailable')).toHaveLength(10);
    expect(codes.filter((c) => c === 'too_many_attempts')).toHaveLength(20);
  });
});
