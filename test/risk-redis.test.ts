import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedParticipatingBanks } from '../src/banks/seed.ts';
import type { Database } from '../src/db/index.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { ManualClock } from '../src/platform/index.ts';
import { type Counters, redisCounters } from '../src/risk/index.ts';
import { createServices } from '../src/services.ts';
import { type Actor, DEFAULT_POLICY } from '../src/wallet/index.ts';
import { DATABASES, freshDatabase } from './support/databases.ts';
import { type Customer, type World, customer } from './support/world.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
const HAS_REDIS = await redisReachable();
// CI starts Redis and sets this: there the Redis half must run, never be skipped.
if (!HAS_REDIS && process.env.TEST_REDIS_REQUIRED)
  throw new Error('TEST_REDIS_REQUIRED is set but Redis is unreachable');

/**
 * The risk engine on Redis counters (SAIFU_REDIS_URL), as `saifu serve` wires it with several workers: two service
 * graphs over one database stand for two processes, each with its own Redis connection. The charge velocity one
 * process counted is seen by the other, so spreading a drain over processes does not escape the
 * link_then_drain_velocity rule (with per-process counters the fourth charge would be the other process's first).
 */
for (const kind of DATABASES)
  describe.skipIf(!HAS_REDIS)(`risk decisions on Redis counters shared by two processes (${kind})`, () => {
    const prefix = `saifu:test:${randomUUID()}:`;
    let database: Database;
    let counters: Counters[] = [];
    let a: World;
    let b: World;
    const plain = (c: Customer): Actor => ({ ...c.actor, session: { id: c.actor.session!.id, elevatedUntil: null } });

    beforeAll(async () => {
      database = await freshDatabase(kind);
      const clock = new ManualClock('2026-11-10T03:00:00Z');
      counters = [redisCounters(REDIS_URL, { prefix }), redisCounters(REDIS_URL, { prefix })];
      const policy = { ...DEFAULT_POLICY, coolingOffDays: 0 };
      const [one, two] = counters.map((c) => ({
        ...createServices({ database, clock, policy, counters: c }),
        clock,
        close: async () => {},
      }));
      a = one!;
      b = two!;
      await seedParticipatingBanks(database.db, clock);
    });
    afterAll(async () => {
      if (database) expect(await verifyLedger(database.db)).toEqual([]);
      await database?.close();
      const r = new Redis(REDIS_URL);
      const keys = await r.keys(`${prefix}*`);
      if (keys.length > 0) await r.del(...keys);
      await r.quit();
      await Promise.all(counters.map((c) => c.close()));
    });

    it('a drain split over two processes is challenged on the fourth charge, which the other process takes', async () => {
      const c = await customer(a, { coolingOff: true });
      for (let i = 0; i < 3; i++)
        expect(
          (await a.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(30_000) })).status,
        ).toBe('succeeded');
      const ch = await b.wallet.charges.createCharge(plain(c), { bankLinkId: c.link.id, amount: amount(30_000) });
      expect(ch).toMatchObject({
        status: 'requires_action',
        risk: { decision: 'challenge', score: 40, reasons: [{ rule: 'link_then_drain_velocity' }], ruleSetVersion: 0 },
      });
      expect(await b.wallet.charges.confirmCharge(c.actor, ch.id)).toMatchObject({ status: 'succeeded' });
      // The counts are in Redis, under this world's prefix.
      const r = new Redis(REDIS_URL);
      try {
        expect((await r.keys(`${prefix}*`)).length).toBeGreaterThan(0);
      } finally {
        await r.quit();
      }
    });

    it('ordinary charges stay allowed on Redis counters, whichever process takes them', async () => {
      const c = await customer(a);
      for (const w of [a, b, a])
        expect(
          await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(5_000) }),
        ).toMatchObject({ status: 'succeeded', risk: { decision: 'allow', score: 0, reasons: [] } });
    });
  });
