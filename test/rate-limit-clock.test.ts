import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockRateLimitStore } from '../src/http/rate-limit-store.ts';
import { ManualClock } from '../src/platform/index.ts';
import { call, httpApp } from './support/http.ts';
import { type World, createWorld, newPhone } from './support/world.ts';

/**
 * The per-address route limits count in the server's time (the injected clock), not the wall clock: on simulated
 * time a window ends when the simulated minute does, and a window never ends early because real time passed.
 */
describe('route rate limits on the injected clock', () => {
  it('the store counts a fixed window from the first request, read does not count, and old keys are forgotten', () => {
    const clock = new ManualClock('2026-11-10T03:00:00Z');
    const Store = clockRateLimitStore(clock);
    const store = new Store().child();
    const incr = (key: string) => {
      let got: { current: number; ttl: number } | undefined;
      store.incr(key, (_e, r) => (got = r), 60_000);
      return got!;
    };
    const read = (key: string) => {
      let got: { current: number; ttl: number } | undefined;
      store.read(key, (_e, r) => (got = r), 60_000);
      return got!;
    };
    expect(incr('a')).toEqual({ current: 1, ttl: 60_000 });
    clock.advance(20_000);
    expect(incr('a')).toEqual({ current: 2, ttl: 40_000 });
    expect(read('a')).toEqual({ current: 2, ttl: 40_000 });
    expect(read('a')).toEqual({ current: 2, ttl: 40_000 });
    expect(incr('b')).toEqual({ current: 1, ttl: 60_000 });
    clock.advance(40_000);
    expect(read('a')).toEqual({ current: 0, ttl: 0 });
    expect(incr('a')).toEqual({ current: 1, ttl: 60_000 });
    // 5,000 keys a route: the least recently used goes first ('b' here, not 'a', used just now).
    for (let i = 0; i < 4_999; i++) incr(`k${i}`);
    expect(read('b').current).toBe(0);
    expect(read('a').current).toBe(1);
  });

  describe('over HTTP', () => {
    let w: World;
    let app: FastifyInstance;
    beforeAll(async () => {
      w = await createWorld('pglite');
      app = await httpApp(w);
    });
    afterAll(async () => {
      await app.close();
      await w.close();
    });

    it('40 step-up SMS requests from one address at once: exactly 5 get past the route limit', async () => {
      const phone = newPhone();
      const r = await call(app, 'POST', '/v1/signup', {
        body: { email: `${phone}@example.test`, phone, password: 'correct horse battery staple' },
      });
      expect(r.status, r.body).toBe(201);
      w.clock.advance(120_000); // a fresh window for this address
      const all = await Promise.all(
        Array.from({ length: 40 }, () =>
          call(app, 'POST', '/v1/sessions/current/step-up/sms', { token: r.json.token }),
        ),
      );
      // The route limit answers before the handler runs; whatever got through was counted, nothing more.
      const limited = all.filter((x) => x.status === 429 && x.json.error.details?.retryAfterSeconds !== undefined);
      expect(all.length - limited.length).toBe(5);
    });

    it('a sixth step-up SMS in a minute is 429 until the server clock passes the minute', async () => {
      w.clock.advance(120_000);
      const phone = newPhone();
      const r = await call(app, 'POST', '/v1/signup', {
        body: { email: `${phone}@example.test`, phone, password: 'correct horse battery staple' },
      });
      expect(r.status, r.body).toBe(201);
      const send = () => call(app, 'POST', '/v1/sessions/current/step-up/sms', { token: r.json.token });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await send()).status);
      expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
      const limited = await send();
      expect([statuses[5], limited.status, limited.json.error.code]).toEqual([429, 429, 'too_many_attempts']);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      w.clock.advance(59_000);
      expect((await send()).status).toBe(429);
      w.clock.advance(2_000);
      expect((await send()).status).not.toBe(429);
    });
  });
});
