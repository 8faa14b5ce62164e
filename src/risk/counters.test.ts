import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type Counters, memoryCounters } from './counters.ts';
import { redisCounters } from './redis-counters.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
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
const T0 = new Date('2026-11-10T03:00:00Z').getTime();
const at = (ms: number) => new Date(T0 + ms);
const run = `${process.pid}-${T0}-${Math.random().toString(36).slice(2)}`;
const DAY = 86_400_000;
let made = 0;

afterAll(async () => {
  if (!HAS_REDIS) return;
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`saifu:test:${run}:*`);
  if (keys.length > 0) await r.del(...keys);
  await r.quit();
});

type Make = (o?: { maxMembers?: number }) => Counters;
const impls: Array<[string, Make, boolean]> = [
  ['in-process', (o) => memoryCounters(o), true],
  ['redis', (o) => redisCounters(REDIS_URL, { ...o, prefix: `saifu:test:${run}:${made++}:` }), HAS_REDIS],
];

for (const [name, make, available] of impls) {
  describe.skipIf(!available)(`counters (${name})`, () => {
    const c = make();
    afterAll(() => c.close());

    it('counts, sums and keeps the largest amount over 1 min, 1 h, 24 h and 30 d, the event included', async () => {
      await c.record('u1', at(0), 1000);
      await c.record('u1', at(30_000), 2000);
      const t = await c.record('u1', at(90_000), 500);
      // The 2,000 left the minute: the minute's max is the 500 just recorded, the hour's is still 2,000.
      expect(t['1m']).toEqual({ count: 1, sum: 500, max: 500 });
      expect(t['1h']).toEqual({ count: 3, sum: 3500, max: 2000 });
      const later = await c.read('u1', at(2 * 3_600_000));
      expect(later['1h']).toEqual({ count: 0, sum: 0, max: 0 });
      expect(later['24h']).toEqual({ count: 3, sum: 3500, max: 2000 });
      expect(later['30d']).toEqual({ count: 3, sum: 3500, max: 2000 });
      expect((await c.read('u1', at(31 * DAY)))['30d']).toEqual({ count: 0, sum: 0, max: 0 });
      expect((await c.read('nobody', at(0)))['24h']).toEqual({ count: 0, sum: 0, max: 0 });
    });

    it('keeps the max of each slot: a smaller amount later in the same slot does not lower it', async () => {
      await c.record('u4', at(0), 700);
      await c.record('u4', at(10), 300);
      await c.record('u4', at(20));
      expect((await c.read('u4', at(20)))['1m']).toEqual({ count: 3, sum: 1000, max: 700 });
      await c.record('u4', at(1500), 900);
      expect((await c.read('u4', at(1500)))['1m']).toEqual({ count: 4, sum: 1900, max: 900 });
    });

    it('keys are independent and reading counts nothing', async () => {
      await c.record('u2', at(0));
      await c.read('u2', at(0));
      expect((await c.read('u2', at(0)))['1m']).toEqual({ count: 1, sum: 0, max: 0 });
      expect((await c.read('u3', at(0)))['1m'].count).toBe(0);
    });

    it('counts distinct members within a window and says whether a member is new', async () => {
      expect(await c.distinct('dev1', 'w1', at(0), DAY)).toEqual({ size: 1, isNew: true });
      expect(await c.distinct('dev1', 'w2', at(1000), DAY)).toEqual({ size: 2, isNew: true });
      expect(await c.distinct('dev1', 'w1', at(2000), DAY)).toEqual({ size: 2, isNew: false });
      // w2 (last seen at 1 s) left the window; w1 (seen again at 2 s) did not.
      expect(await c.distinct('dev1', 'w3', at(DAY + 1500), DAY)).toEqual({ size: 2, isNew: true });
      expect(await c.distinct('dev1', 'w2', at(DAY + 1600), DAY)).toEqual({ size: 3, isNew: true });
      expect(await c.distinct('dev1', 'w3', at(DAY + 1700), DAY)).toEqual({ size: 3, isNew: false });
    });

    it('without a member distinct only counts: nothing is added and isNew is false', async () => {
      expect(await c.distinct('dev2', undefined, at(0), DAY)).toEqual({ size: 0, isNew: false });
      await c.distinct('dev2', 'w1', at(0), DAY);
      await c.distinct('dev2', 'w2', at(1000), DAY);
      expect(await c.distinct('dev2', undefined, at(2000), DAY)).toEqual({ size: 2, isNew: false });
      expect(await c.distinct('dev2', undefined, at(2000), DAY)).toEqual({ size: 2, isNew: false });
      // It prunes too: after the window nothing is left, and w1 is new again.
      expect(await c.distinct('dev2', undefined, at(DAY + 1000), DAY)).toEqual({ size: 0, isNew: false });
      expect(await c.distinct('dev2', 'w1', at(DAY + 1000), DAY)).toEqual({ size: 1, isNew: true });
    });

    it('a distinct set keeps at most maxMembers, dropping the least recently seen', async () => {
      const small = make({ maxMembers: 2 });
      try {
        await small.distinct('dev3', 'a', at(0), DAY);
        await small.distinct('dev3', 'b', at(1), DAY);
        expect(await small.distinct('dev3', 'c', at(2), DAY)).toEqual({ size: 2, isNew: true });
        expect(await small.distinct('dev3', 'b', at(3), DAY)).toEqual({ size: 2, isNew: false });
        expect(await small.distinct('dev3', 'a', at(4), DAY)).toEqual({ size: 2, isNew: true });
      } finally {
        await small.close();
      }
    });

    it("stamp 'first' sets only when absent and returns the stamp from before", async () => {
      expect(await c.stamp('first1', at(0), 100, 'first', DAY)).toBeUndefined();
      expect(await c.stamp('first1', at(1000), 200, 'first', DAY)).toEqual({ at: T0, value: 100 });
      expect(await c.stamp('first1', at(2000), undefined, 'first', DAY)).toEqual({ at: T0, value: 100 });
    });

    it("stamp 'last' always overwrites and returns the stamp from before", async () => {
      expect(await c.stamp('last1', at(0), 100, 'last', DAY)).toBeUndefined();
      expect(await c.stamp('last1', at(1000), 200, 'last', DAY)).toEqual({ at: T0, value: 100 });
      expect(await c.stamp('last1', at(2000), 0, 'last', DAY)).toEqual({ at: T0 + 1000, value: 200 });
      // A zero value is a value, not an absence.
      expect(await c.stamp('last1', at(3000), undefined, 'last', DAY)).toEqual({ at: T0 + 2000, value: 0 });
    });

    it('a stamp without a value only reads: it creates nothing and changes nothing', async () => {
      expect(await c.stamp('read1', at(0), undefined, 'last', DAY)).toBeUndefined();
      expect(await c.stamp('read1', at(0), undefined, 'first', DAY)).toBeUndefined();
      expect(await c.stamp('read1', at(1000), 5, 'first', DAY)).toBeUndefined();
      expect(await c.stamp('read1', at(2000), undefined, 'last', DAY)).toEqual({ at: T0 + 1000, value: 5 });
      expect(await c.stamp('read1', at(3000), undefined, 'last', DAY)).toEqual({ at: T0 + 1000, value: 5 });
    });

    it("a stamp expires ttlMs after it was written ('last' renews it, 'first' on a live stamp does not)", async () => {
      const ttl = 60_000;
      await c.stamp('exp1', at(0), 1, 'last', ttl);
      expect(await c.stamp('exp1', at(ttl - 1), undefined, 'last', ttl)).toEqual({ at: T0, value: 1 });
      expect(await c.stamp('exp1', at(ttl), undefined, 'last', ttl)).toBeUndefined();
      // Expired: 'first' may stamp again, and 'last' sees nothing before it.
      expect(await c.stamp('exp1', at(ttl), 2, 'first', ttl)).toBeUndefined();
      expect(await c.stamp('exp1', at(2 * ttl + 1), 3, 'last', ttl)).toBeUndefined();

      await c.stamp('exp2', at(0), 1, 'last', ttl);
      await c.stamp('exp2', at(50_000), 2, 'last', ttl);
      expect(await c.stamp('exp2', at(100_000), undefined, 'last', ttl)).toEqual({ at: T0 + 50_000, value: 2 });

      await c.stamp('exp3', at(0), 1, 'first', ttl);
      expect(await c.stamp('exp3', at(50_000), 2, 'first', ttl)).toEqual({ at: T0, value: 1 });
      expect(await c.stamp('exp3', at(ttl), undefined, 'first', ttl)).toBeUndefined();
    });

    it('concurrent records are all counted', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => c.record('hot', at(0), i + 1)));
      expect((await c.read('hot', at(0)))['1m']).toEqual({ count: 50, sum: 1275, max: 50 });
    });

    it("of 50 concurrent 'first' stamps exactly one sees none before it, and the others all see that one", async () => {
      const seen = await Promise.all(Array.from({ length: 50 }, (_, i) => c.stamp('race', at(i), i, 'first', DAY)));
      expect(seen.filter((s) => s === undefined)).toHaveLength(1);
      const winner = await c.stamp('race', at(100), undefined, 'first', DAY);
      expect(winner).toBeDefined();
      expect(seen.filter((s) => s !== undefined && s.value === winner?.value && s.at === winner.at)).toHaveLength(49);
    });

    it('50 concurrent distinct calls with one member: exactly one sees it as new', async () => {
      const seen = await Promise.all(Array.from({ length: 50 }, () => c.distinct('dev4', 'w1', at(0), DAY)));
      expect(seen.filter((d) => d.isNew)).toHaveLength(1);
      expect(seen.every((d) => d.size === 1)).toBe(true);
    });
  });
}

/** A seeded sequence of calls (strictly increasing times) gives the same answers from both implementations. */
describe.skipIf(!HAS_REDIS)('in-process and Redis counters agree', () => {
  it('on 400 random calls', async () => {
    const mem = memoryCounters();
    const red = redisCounters(REDIS_URL, { prefix: `saifu:test:${run}:agree:` });
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    let t = 0;
    try {
      for (let i = 0; i < 400; i++) {
        t += 1 + rnd(3) * rnd(4_000_000);
        const key = `k${rnd(3)}`;
        const op = rnd(4);
        const amount = rnd(100_000);
        const member = rnd(4) === 0 ? undefined : `m${rnd(6)}`;
        const value = rnd(3) === 0 ? undefined : rnd(1000);
        const mode = rnd(2) ? 'first' : 'last';
        const call = (c: Counters) =>
          op === 0
            ? c.record(key, at(t), amount)
            : op === 1
              ? c.read(key, at(t))
              : op === 2
                ? c.distinct(key, member, at(t), 3_600_000)
                : c.stamp(key, at(t), value, mode, 7_200_000);
        expect(await call(red), `call ${i} (op ${op})`).toEqual(await call(mem));
      }
    } finally {
      await red.close();
    }
  });
});

describe('in-process counters stay bounded', () => {
  it('drops the least recently used keys beyond maxKeys', async () => {
    const c = memoryCounters({ maxKeys: 2 });
    await c.record('a', at(0));
    await c.record('b', at(0));
    await c.record('a', at(0));
    await c.record('c', at(0));
    expect((await c.read('b', at(0)))['1m'].count).toBe(0);
    expect((await c.read('a', at(0)))['1m'].count).toBe(2);
  });
});
