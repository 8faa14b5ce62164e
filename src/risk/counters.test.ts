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
const T0 = new Date('2026-11-10T03:00:00Z').getTime();
const at = (ms: number) => new Date(T0 + ms);
const run = `${process.pid}-${T0}-${Math.random().toString(36).slice(2)}`;

const impls: Array<[string, () => Counters, boolean]> = [
  ['in-process', () => memoryCounters(), true],
  ['redis', () => redisCounters(REDIS_URL, { prefix: `saifu:test:${run}:` }), HAS_REDIS],
];

for (const [name, make, available] of impls) {
  describe.skipIf(!available)(`counters (${name})`, () => {
    const c = make();
    afterAll(() => c.close());
    it('counts and sums over 1 min, 1 h, 24 h and 30 d, the event included', async () => {
      await c.record('u1', at(0), 1000);
      await c.record('u1', at(30_000), 2000);
      const t = await c.record('u1', at(90_000), 500);
      expect(t['1m']).toEqual({ count: 1, sum: 500 });
      expect(t['1h']).toEqual({ count: 3, sum: 3500 });
      const later = await c.read('u1', at(2 * 3_600_000));
      expect(later['1h'].count).toBe(0);
      expect(later['24h']).toEqual({ count: 3, sum: 3500 });
      expect((await c.read('u1', at(31 * 86_400_000)))['30d'].count).toBe(0);
      expect((await c.read('nobody', at(0)))['24h']).toEqual({ count: 0, sum: 0 });
    });
    it('keys are independent and reading counts nothing', async () => {
      await c.record('u2', at(0));
      await c.read('u2', at(0));
      expect((await c.read('u2', at(0)))['1m'].count).toBe(1);
      expect((await c.read('u3', at(0)))['1m'].count).toBe(0);
    });
    it('counts distinct members within a window', async () => {
      expect(await c.distinct('dev1', 'w1', at(0), 86_400_000)).toBe(1);
      expect(await c.distinct('dev1', 'w2', at(1000), 86_400_000)).toBe(2);
      expect(await c.distinct('dev1', 'w1', at(2000), 86_400_000)).toBe(2);
      expect(await c.distinct('dev1', 'w3', at(86_400_000 + 1500), 86_400_000)).toBe(2);
    });
    it('concurrent records are all counted', async () => {
      await Promise.all(Array.from({ length: 50 }, () => c.record('hot', at(0), 10)));
      expect((await c.read('hot', at(0)))['1m']).toEqual({ count: 50, sum: 500 });
    });
  });
}

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
