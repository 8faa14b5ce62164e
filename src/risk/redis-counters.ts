import { Redis } from 'ioredis';
import { BUCKETS, type Counters, type Totals, WINDOW_NAMES, WINDOWS, slotOf } from './counters.ts';

/**
 * KEYS: one hash per window (fields c:<slot>, s:<slot>). ARGV: amount, then per window its slot, oldest slot kept
 * and ttl ms; "0" as amount with record=0 only reads. Returns count, sum per window. One round trip, atomic.
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
    redis.call('PEXPIRE', key, ttl)
  end
  local all = redis.call('HGETALL', key)
  local count, sum = 0, 0
  for j = 1, #all, 2 do
    local f = all[j] ; local s = tonumber(string.sub(f, 3))
    if s < oldest then redis.call('HDEL', key, f)
    elseif string.sub(f, 1, 1) == 'c' then count = count + tonumber(all[j + 1])
    else sum = sum + tonumber(all[j + 1]) end
  end
  out[#out + 1] = count ; out[#out + 1] = tostring(sum)
end
return out`;

/** KEYS[1]: a sorted set member → last seen ms. ARGV: member, now ms, window ms, max members. */
const DISTINCT_SCRIPT = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[4])
if n > max then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1) ; n = max end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return n`;

type ScriptRedis = Redis & {
  riskWindows(...args: Array<string | number>): Promise<Array<number | string>>;
  riskDistinct(key: string, member: string, at: number, windowMs: number, max: number): Promise<number>;
};

/** Redis counters (ioredis): the same bucketed windows, shared by every process. `url` is SAIFU_REDIS_URL. */
export function redisCounters(url: string, o: { prefix?: string; maxMembers?: number } = {}): Counters {
  const prefix = o.prefix ?? 'saifu:risk:';
  const maxMembers = o.maxMembers ?? 1_000;
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 }) as ScriptRedis;
  redis.defineCommand('riskWindows', { numberOfKeys: WINDOW_NAMES.length, lua: WINDOWS_SCRIPT });
  redis.defineCommand('riskDistinct', { numberOfKeys: 1, lua: DISTINCT_SCRIPT });

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
      t[w] = { count: Number(out[2 * i]), sum: Number(out[2 * i + 1]) };
    });
    return t;
  }

  return {
    record: (key, at, amount = 0) => run(true, key, at, amount),
    read: (key, at) => run(false, key, at, 0),
    distinct: (key, member, at, windowMs) =>
      redis.riskDistinct(`${prefix}d:${key}`, member, at.getTime(), windowMs, maxMembers).then(Number),
    async close() {
      await redis.quit();
    },
  };
}
