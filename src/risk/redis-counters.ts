import { Redis } from 'ioredis';
import { BUCKETS, type Counters, type Stamp, type Totals, WINDOW_NAMES, WINDOWS, slotOf } from './counters.ts';

/**
 * KEYS: one hash per window (fields c:<slot>, s:<slot>, m:<slot>: count, sum, largest amount). ARGV: record flag,
 * amount, then per window its slot, oldest slot kept and ttl ms; record=0 only reads. Returns count, sum, max per
 * window (sum and max as strings: Redis would truncate a Lua number). One round trip, atomic.
 */
const WINDOWS_SCRIPT = `
local record = ARGV[1] == '1'
local amount = ARGV[2]
local out = {}
for i, key in ipairs(KEYS) do
  local slot = ARGV[3 * i] ; local oldest = tonumber(ARGV[3 * i + 1]) ; local ttl = ARGV[3 * i + 2]
  if record then
    redis.call('HINCRBY', key, 'c:' .. slot, 1)
    redis.call('HINCRBYFLOAT', key, 's:' .. slot, amount)
    local m = redis.call('HGET', key, 'm:' .. slot)
    if not m or tonumber(amount) > tonumber(m) then redis.call('HSET', key, 'm:' .. slot, amount) end
    redis.call('PEXPIRE', key, ttl)
  end
  local all = redis.call('HGETALL', key)
  local count, sum, max = 0, 0, 0
  for j = 1, #all, 2 do
    local f = all[j] ; local s = tonumber(string.sub(f, 3)) ; local kind = string.sub(f, 1, 1)
    local v = tonumber(all[j + 1])
    if s < oldest then redis.call('HDEL', key, f)
    elseif kind == 'c' then count = count + v
    elseif kind == 's' then sum = sum + v
    elseif v > max then max = v end
  end
  out[#out + 1] = count ; out[#out + 1] = tostring(sum) ; out[#out + 1] = tostring(max)
end
return out`;

/**
 * KEYS[1]: a sorted set member → last seen ms. ARGV: has member ('1'/'0'), member, now ms, window ms, max members.
 * Prunes what left the window, then (with a member) asks whether it was there before adding it. Returns size, isNew.
 */
const DISTINCT_SCRIPT = `
local now = tonumber(ARGV[3]) ; local window = tonumber(ARGV[4]) ; local max = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local isNew = 0
if ARGV[1] == '1' then
  if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then isNew = 1 end
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local n = redis.call('ZCARD', KEYS[1])
if n > max then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1) ; n = max end
return {n, isNew}`;

/**
 * KEYS[1]: a hash (a: stamped at ms, v: value, e: expires at ms, on the caller's clock). ARGV: now ms, write flag,
 * value, mode ('first' | 'last'), expires at ms, ttl ms. 'first' writes only when no live stamp exists (SET NX);
 * 'last' always. PEXPIRE only collects the garbage; expiry is judged on the caller's clock, like the windows.
 * Returns the live stamp from before the call as {at, value}, or nil.
 */
const STAMP_SCRIPT = `
local prior = redis.call('HMGET', KEYS[1], 'a', 'v', 'e')
local live = prior[1] and prior[3] and tonumber(prior[3]) > tonumber(ARGV[1])
if ARGV[2] == '1' and (ARGV[4] == 'last' or not live) then
  redis.call('HSET', KEYS[1], 'a', ARGV[1], 'v', ARGV[3], 'e', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
if live then return {prior[1], prior[2]} end
return false`;

type ScriptRedis = Redis & {
  riskWindows(...args: Array<string | number>): Promise<string[]>;
  riskDistinct(key: string, has: string, member: string, at: number, windowMs: number, max: number): Promise<number[]>;
  riskStamp(
    key: string,
    at: number,
    write: string,
    value: string,
    mode: string,
    expires: number,
    ttlMs: number,
  ): Promise<[string, string] | null>;
};

/** Redis counters (ioredis): the same bucketed windows, shared by every process. `url` is SAIFU_REDIS_URL. */
export function redisCounters(url: string, o: { prefix?: string; maxMembers?: number } = {}): Counters {
  const prefix = o.prefix ?? 'saifu:risk:';
  const maxMembers = o.maxMembers ?? 1_000;
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 }) as ScriptRedis;
  redis.defineCommand('riskWindows', { numberOfKeys: WINDOW_NAMES.length, lua: WINDOWS_SCRIPT });
  redis.defineCommand('riskDistinct', { numberOfKeys: 1, lua: DISTINCT_SCRIPT });
  redis.defineCommand('riskStamp', { numberOfKeys: 1, lua: STAMP_SCRIPT });

  async function run(record: boolean, key: string, at: Date, amount: number): Promise<Totals> {
    const ms = at.getTime();
    const keys = WINDOW_NAMES.map((w) => `${prefix}{${key}}:${w}`); // one hash slot per key (Redis Cluster)
    const args: Array<string | number> = [record ? '1' : '0', amount];
    for (const w of WINDOW_NAMES) {
      const slot = slotOf(w, ms);
      args.push(slot, slot - BUCKETS + 1, WINDOWS[w] + WINDOWS[w] / BUCKETS);
    }
    const out = await redis.riskWindows(...keys, ...args);
    const t = {} as Totals;
    WINDOW_NAMES.forEach((w, i) => {
      t[w] = { count: Number(out[3 * i]), sum: Number(out[3 * i + 1]), max: Number(out[3 * i + 2]) };
    });
    return t;
  }

  return {
    record: (key, at, amount = 0) => run(true, key, at, amount),
    read: (key, at) => run(false, key, at, 0),
    async distinct(key, member, at, windowMs) {
      const has = member === undefined ? '0' : '1';
      const [size, isNew] = await redis.riskDistinct(
        `${prefix}d:${key}`,
        has,
        member ?? '',
        at.getTime(),
        Math.max(1, Math.ceil(windowMs)),
        maxMembers,
      );
      return { size: Number(size), isNew: isNew === 1 };
    },
    async stamp(key, at, value, mode, ttlMs): Promise<Stamp | undefined> {
      const ms = at.getTime();
      const write = value === undefined ? '0' : '1';
      const ttl = Math.max(1, Math.ceil(ttlMs));
      const prior = await redis.riskStamp(`${prefix}s:${key}`, ms, write, String(value ?? ''), mode, ms + ttl, ttl);
      return prior ? { at: Number(prior[0]), value: Number(prior[1]) } : undefined;
    },
    async close() {
      await redis.quit();
    },
  };
}
