import type { Clock } from '../platform/index.ts';

/** What @fastify/rate-limit hands a store's callbacks: the count in the window and the ms left of it. */
interface Window {
  current: number;
  ttl: number;
}
type Callback = (err: Error | null, res: Window) => void;

/** Keys one route's store remembers (the plugin's own in-memory store keeps as many). */
const KEYS_PER_ROUTE = 5000;

/**
 * @fastify/rate-limit's in-memory store, with time from the injected clock instead of `Date.now()`: the per-address
 * route limits (sign-ups, sign-ins, confirms) count in the server's time, so on simulated time
 * (`SAIFU_SANDBOX_CLOCK=1`) a simulated hour is an hour for them too, as it is for every other window in Saifu.
 * On the system clock it behaves as the plugin's store: a fixed window from the first request, the least recently
 * used keys forgotten beyond 5,000 per route.
 */
export function clockRateLimitStore(clock: Clock) {
  return class ClockStore {
    private readonly windows = new Map<string, { current: number; startMs: number }>();

    incr(key: string, cb: Callback, timeWindow: number): void {
      const now = clock.now().getTime();
      let w = this.windows.get(key);
      if (!w || w.startMs + timeWindow <= now) w = { current: 1, startMs: now };
      else w.current++;
      // Re-inserted last: the Map's order is the order of use, so the first key is the least recently used.
      this.windows.delete(key);
      this.windows.set(key, w);
      if (this.windows.size > KEYS_PER_ROUTE) this.windows.delete(this.windows.keys().next().value!);
      cb(null, { current: w.current, ttl: w.startMs + timeWindow - now });
    }

    read(key: string, cb: Callback, timeWindow: number): void {
      const now = clock.now().getTime();
      const w = this.windows.get(key);
      if (!w || w.startMs + timeWindow <= now) cb(null, { current: 0, ttl: 0 });
      else cb(null, { current: w.current, ttl: w.startMs + timeWindow - now });
    }

    /** Each route with its own limit gets its own store, as with the plugin's. */
    child(): ClockStore {
      return new ClockStore();
    }
  };
}
