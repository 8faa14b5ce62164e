import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DB, inTransaction } from '../src/db/index.ts';
import { renderNotice } from '../src/notify/index.ts';
import {
  type EmailAdapter,
  type Outbox,
  type OutboxDeps,
  createOutbox,
  loggingSms,
  retryDelayMs,
} from '../src/outbox/index.ts';
import { createSecretBox } from '../src/identity/index.ts';
import { DATABASES, HAS_POSTGRES, freshDatabase } from './support/databases.ts';
import { type World, createWorld } from './support/world.ts';

/** A receiver that keeps one copy per delivery id, as the docs ask receivers to do. */
function dedupingInbox() {
  const seen = new Map<string, { to: string; subject: string; text: string }>();
  let calls = 0;
  let failNext = 0;
  const adapter: EmailAdapter = {
    async send(m) {
      calls++;
      if (failNext > 0) {
        failNext--;
        throw new Error('421 try again later');
      }
      if (!seen.has(m.deliveryId)) seen.set(m.deliveryId, m);
    },
  };
  return {
    adapter,
    seen,
    calls: () => calls,
    failNext: (n: number) => {
      failNext = n;
    },
  };
}

const rowOf = (db: Kysely<DB>, id: string) =>
  db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe.each(DATABASES)('outbox on %s', (kind) => {
  let w: World;
  let inbox: ReturnType<typeof dedupingInbox>;
  const fixedRandom = () => 0.5;
  const outboxOver = (db: Kysely<DB>, more: Partial<OutboxDeps> = {}): Outbox =>
    createOutbox({
      db,
      clock: w.clock,
      newId: w.newId,
      random: fixedRandom,
      box: createSecretBox('test-secret'),
      contactOf: async (q, userId) =>
        q.selectFrom('users').select(['email', 'phone']).where('id', '=', userId).executeTakeFirst(),
      channels: { email: inbox.adapter, sms: loggingSms(() => {}), bankNotice: loggingSms(() => {}) },
      leaseMs: 60_000,
      ...more,
    });
  let outbox: Outbox;

  beforeAll(async () => {
    w = await createWorld(kind);
  });
  afterAll(async () => {
    await w.close();
  });
  /** Each test sees only its own rows: what earlier ones left pending is put aside. */
  const fresh = async () => {
    inbox = dedupingInbox();
    outbox = outboxOver(w.db);
    await w.db.updateTable('outbox').set({ status: 'dead' }).where('status', '=', 'pending').execute();
  };
  const enqueueMail = (key?: string) =>
    inTransaction(w.db, (trx) =>
      outbox.enqueue(trx, {
        channel: 'email',
        to: 'hanako@example.test',
        template: 'charge_succeeded',
        locale: 'en',
        data: { amount: 5000, chargeId: 'chg_1' },
        ...(key ? { idempotencyKey: key } : {}),
      }),
    );

  it('writes the row only when the transaction commits, once per idempotency key', async () => {
    await fresh();
    await expect(
      inTransaction(w.db, async (trx) => {
        await outbox.enqueue(trx, { channel: 'email', to: 'x@example.test', template: 'wallet_frozen', data: {} });
        throw new Error('the event failed');
      }),
    ).rejects.toThrow('the event failed');
    expect(await w.db.selectFrom('outbox').select('id').where('recipient', '=', 'x@example.test').execute()).toEqual(
      [],
    );
    const key = `once-${kind}`;
    const first = await enqueueMail(key);
    expect(first).toMatch(/^obx_/);
    expect(await enqueueMail(key)).toBeUndefined();
    expect((await w.db.selectFrom('outbox').select('id').where('idempotency_key', '=', key).execute()).length).toBe(1);
  });

  it('sends once to a deduping receiver when the dispatcher dies between sending and marking', async () => {
    await fresh();
    const id = (await enqueueMail())!;
    // Run 1: the row is claimed and sent, then the process "dies" before the outcome is recorded.
    const [claimed] = await outbox.dispatcher.claim(w.clock.now(), 10);
    expect(claimed?.id).toBe(id);
    expect(await outbox.dispatcher.attempt(claimed!)).toEqual({ ok: true });
    expect((await rowOf(w.db, id)).status).toBe('pending');
    // Another dispatcher does not take it while the lease holds.
    expect((await outboxOver(w.db).dispatch()).claimed).toBe(0);
    // Run 2: the marking transaction itself fails (the database went away after the send).
    w.clock.advance(60_001);
    let failTransactions = 1;
    const flaky = new Proxy(w.db, {
      get(target, prop) {
        if (prop === 'transaction' && failTransactions-- > 0)
          return () => ({
            execute: async () => {
              throw new Error('connection terminated');
            },
          });
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const crashed = await outboxOver(flaky).dispatch();
    expect(crashed).toMatchObject({ claimed: 1, unrecorded: 1 });
    // Run 3, after the lease: sent again with the same delivery id, and now marked.
    w.clock.advance(60_001);
    expect(await outbox.dispatch()).toMatchObject({ claimed: 1, sent: 1 });
    expect(inbox.calls()).toBe(3);
    expect([...inbox.seen.keys()]).toEqual([id]);
    const row = await rowOf(w.db, id);
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
    expect((await outbox.dispatch()).claimed).toBe(0);
    expect(inbox.calls()).toBe(3);
  });

  it('retries a failure with exponential back-off and jitter, logging each attempt', async () => {
    await fresh();
    const id = (await enqueueMail())!;
    inbox.failNext(2);
    const t0 = w.clock.now().getTime();
    expect(await outbox.dispatch()).toMatchObject({ claimed: 1, retried: 1 });
    // 30 s step, equal jitter at random() = 0.5: 15 s + 7.5 s.
    expect(retryDelayMs(1, fixedRandom)).toBe(22_500);
    expect(new Date((await rowOf(w.db, id)).next_attempt_at).getTime()).toBe(t0 + 22_500);
    w.clock.advance(22_499);
    expect((await outbox.dispatch()).claimed).toBe(0);
    w.clock.advance(1);
    expect(await outbox.dispatch()).toMatchObject({ claimed: 1, retried: 1 });
    expect(retryDelayMs(2, fixedRandom)).toBe(45_000);
    expect(new Date((await rowOf(w.db, id)).next_attempt_at).getTime()).toBe(t0 + 22_500 + 45_000);
    w.clock.advance(45_000);
    expect(await outbox.dispatch()).toMatchObject({ claimed: 1, sent: 1 });
    const message = await outbox.get(id);
    expect(message).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    expect(message.deliveries.map((d) => [d.attempt, d.status, d.error])).toEqual([
      [1, 'failed', '421 try again later'],
      [2, 'failed', '421 try again later'],
      [3, 'sent', null],
    ]);
    expect([...inbox.seen.keys()]).toEqual([id]);
  });

  it('goes dead after its last attempt, and an operator re-send is audited and sends it again', async () => {
    await fresh();
    const id = (await enqueueMail())!;
    inbox.failNext(1000);
    for (let i = 0; i < 10; i++) {
      await outbox.dispatch();
      w.clock.advance(7 * 60 * 60 * 1000);
    }
    const dead = await rowOf(w.db, id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 6, max_attempts: 6 });
    expect(inbox.calls()).toBe(6);
    inbox.failNext(0);
    const audited: unknown[] = [];
    const audit = outboxOver(w.db, {
      audit: async (trx, e) => {
        audited.push(e);
        return w.ops.audit.append(trx, e);
      },
    });
    const again = await audit.resend(id, { actor: 'op_test', reason: 'the customer asked' });
    expect(again).toMatchObject({ status: 'pending', attempts: 6, maxAttempts: 12 });
    await expect(audit.resend(id, { actor: 'op_test', reason: 'twice' })).rejects.toMatchObject({
      code: 'invalid_state',
    });
    await expect(audit.resend('obx_nope', { actor: 'op_test', reason: 'x' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await outbox.dispatch()).toMatchObject({ sent: 1 });
    expect([...inbox.seen.keys()]).toEqual([id]);
    const record = await w.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'outbox.resend')
      .where('target', '=', id)
      .execute();
    expect(record).toHaveLength(1);
    expect(JSON.parse(record[0]!.details)).toMatchObject({ reason: 'the customer asked', channel: 'email' });
  });

  it('mirrors notices into the sandbox mailbox as they are enqueued (development), in the ja default', async () => {
    const user = await w.identity.signup({
      email: `mirror-${kind}@example.test`,
      phone: '09011112222',
      password: 'a long enough password',
    });
    await inTransaction(w.db, (trx) =>
      w.outbox.enqueue(trx, { channel: 'email', to: { userId: user.user.id }, template: 'wallet_frozen', data: {} }),
    );
    const mail = await w.sandbox.mailbox.messagesTo(`mirror-${kind}@example.test`);
    expect(mail.at(-1)?.body).toContain('ウォレットからの送金・出金・支払いを停止しました');
  });
});

describe('templates', () => {
  it('render in Japanese and English', () => {
    const data = { amount: 5000, chargeId: 'chg_1' };
    expect(renderNotice('charge_succeeded', 'ja', data)).toEqual({
      subject: '【Saifu】チャージ完了',
      body: '銀行口座から 5,000円 のチャージが完了しました（受付番号 chg_1）。',
    });
    expect(renderNotice('charge_succeeded', 'en', data)?.body).toBe(
      '¥5,000 was charged to your Saifu wallet from your bank account (reference chg_1).',
    );
    const at = '2026-11-10T03:00:00.000Z';
    expect(renderNotice('login_new_device', 'ja', { device: 'dev-b…', ip: '203.0.113.9', at })?.body).toContain(
      '2026-11-10 12:00 JST に新しい端末（dev-b…、IP 203.0.113.9）',
    );
    expect(renderNotice('login_new_device', 'en', { device: 'dev-b…', at })?.body).toContain('IP —');
    expect(renderNotice('no_such_template', 'ja', {})).toBeUndefined();
  });
});

describe.skipIf(!HAS_POSTGRES)('outbox dispatchers in parallel on PostgreSQL', () => {
  it('four dispatchers over 200 rows never send one twice (FOR UPDATE SKIP LOCKED)', async () => {
    const database = await freshDatabase('postgres', 24);
    try {
      const w = { clock: { now: () => new Date('2026-11-10T03:00:00Z') } };
      let n = 0;
      const newId = ((p: string) => `${p}_${String(++n).padStart(6, '0')}`) as OutboxDeps['newId'];
      const sends = new Map<string, number>();
      // Each dispatcher's first send waits until another dispatcher is sending too (or 2 s pass): the rows the first
      // holds are then claimed, so the others must take other rows; without it one fast node may drain the table
      // alone on a loaded machine and the test would not show two nodes at once.
      const sending = new Set<number>();
      let bothSending: () => void = () => {};
      const two = new Promise<void>((r) => {
        bothSending = r;
      });
      const adapterOf = (node: number): EmailAdapter => ({
        async send(m) {
          sends.set(m.deliveryId, (sends.get(m.deliveryId) ?? 0) + 1);
          sending.add(node);
          if (sending.size > 1) bothSending();
          await Promise.race([two, new Promise((r) => setTimeout(r, 2_000))]);
          await new Promise((r) => setTimeout(r, 5));
        },
      });
      let nodes = 0;
      const make = (adapter = adapterOf(nodes++)) =>
        createOutbox({
          db: database.db,
          clock: w.clock,
          newId,
          random: Math.random,
          box: createSecretBox('test-secret'),
          contactOf: async () => undefined,
          channels: { email: adapter, sms: loggingSms(() => {}), bankNotice: loggingSms(() => {}) },
        });
      const first = make();
      await inTransaction(database.db, async (trx) => {
        for (let i = 0; i < 200; i++)
          await first.enqueue(trx, { channel: 'email', to: `u${i}@example.test`, template: 'wallet_frozen', data: {} });
      });
      const dispatchers = [make(), make(), make(), make()];
      const sentBy = [0, 0, 0, 0];
      // A claim may come back short while another node holds rows: a periodic job simply runs again.
      for (let round = 0; round < 10 && sends.size < 200; round++) {
        const reports = await Promise.all(dispatchers.map((o) => o.dispatch({ batch: 5, limit: 200 })));
        reports.forEach((r, i) => {
          sentBy[i] = (sentBy[i] ?? 0) + r.sent;
        });
      }
      expect(sentBy.reduce((a, b) => a + b, 0)).toBe(200);
      expect(sentBy.filter((n) => n > 0).length).toBeGreaterThan(1);
      expect(sends.size).toBe(200);
      expect([...sends.values()].every((c) => c === 1)).toBe(true);
      const left = await database.db.selectFrom('outbox').select('id').where('status', '!=', 'sent').execute();
      expect(left).toEqual([]);
    } finally {
      await database.close();
    }
  });
});
