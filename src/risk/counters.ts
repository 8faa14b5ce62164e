/**
 * Velocity counters behind one interface: in-process (one node, the default) or Redis (several processes).
 * Windows are fixed (1 min, 1 h, 24 h, 30 d) and bucketed: each window is cut into BUCKETS slots, and a count is
 * the sum of the slots that overlap the window, so it may include up to one slot's worth of older events
 * (1 s, 1 min, 24 min, 12 h). Recording returns the totals including the event just recorded (count, then check).
 */

export const WINDOWS = { '1m': 60_000, '1h': 3_600_000, '24h': 86_400_000, '30d': 30 * 86_400_000 } as const;
export type WindowName = keyof typeof WINDOWS;
export const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[];
/** Slots per window. */
export const BUCKETS = 60;

/** Per window: how many events, their yen, and the largest single amount (for "against the user's own history"). */
export type Totals = Record<WindowName, { count: number; sum: number; max: number }>;

/** A stamp: when something was (first or last) seen, with a number (e.g. the amount of the last charge). */
export interface Stamp {
  at: number;
  value: number;
}

export interface Counters {
  /** Counts one occurrence of `key` (with `amount` yen, 0 if none) at `at`; the totals afterwards. */
  record(key: string, at: Date, amount?: number): Promise<Totals>;
  /** The totals without counting anything. */
  read(key: string, at: Date): Promise<Totals>;
  /**
   * Adds `member` to the distinct set of `key` (e.g. wallets seen on a device) and returns how many distinct
   * members were seen within `windowMs`, and whether `member` was not among them before. Without a member it only
   * counts (size; isNew false).
   */
  distinct(key: string, member: string | undefined, at: Date, windowMs: number): Promise<Distinct>;
  /**
   * Stamps `key` (`mode` 'last': always, e.g. the last charge; 'first': only if absent, e.g. the first time a user
   * was seen on a device) and returns the stamp from before this call (undefined if none). The stamp lives
   * `ttlMs`. `value` undefined only reads.
   */
  stamp(
    key: string,
    at: Date,
    value: number | undefined,
    mode: 'first' | 'last',
    ttlMs: number,
  ): Promise<Stamp | undefined>;
  close(): Promise<void>;
}

export interface Distinct {
  size: number;
  isNew: boolean;
}

export const slotOf = (window: WindowName, ms: number): number => Math.floor(ms / (WINDOWS[window] / BUCKETS));

const zeroTotals = (): Totals => ({
  '1m': { count: 0, sum: 0, max: 0 },
  '1h': { count: 0, sum: 0, max: 0 },
  '24h': { count: 0, sum: 0, max: 0 },
  '30d': { count: 0, sum: 0, max: 0 },
});

/**
 * One window of one key: its slots flat in `s` ([slot, count, sum, max] from `head` on, oldest first, at most
 * BUCKETS of them live), and the running count, sum and max of the live slots, so a call does not add up 60 slots
 * per window (`max` is recounted only when a slot holding it leaves the window).
 */
interface Win {
  s: number[];
  head: number;
  count: number;
  sum: number;
  max: number;
}
const STRIDE = 4;
/** The windows of one key (in WINDOW_NAMES order), and when it was last moved to the end of the LRU order. */
interface Entry {
  moved: number;
  w: [Win, Win, Win, Win];
}
const newWin = (): Win => ({ s: [], head: 0, count: 0, sum: 0, max: 0 });
const newEntry = (): Entry => ({ moved: 0, w: [newWin(), newWin(), newWin(), newWin()] });
const SLOT_MS = WINDOW_NAMES.map((w) => WINDOWS[w] / BUCKETS);

/** Drops the slots that left the window ending at `ms` from the front (oldest first), keeping the totals. */
function expire(win: Win, slotMs: number, ms: number): void {
  const oldest = Math.floor(ms / slotMs) - BUCKETS + 1;
  const s = win.s;
  let head = win.head;
  let recount = false;
  while (head < s.length && (s[head] as number) < oldest) {
    win.count -= s[head + 1] as number;
    win.sum -= s[head + 2] as number;
    if ((s[head + 3] as number) >= win.max) recount = true;
    head += STRIDE;
  }
  if (head === win.head) return;
  if (head >= s.length) {
    s.length = 0;
    win.head = 0;
    win.count = 0;
    win.sum = 0;
    win.max = 0;
    return;
  }
  if (head > BUCKETS * STRIDE) {
    s.splice(0, head);
    head = 0;
  }
  win.head = head;
  if (recount) {
    let max = 0;
    for (let i = head + 3; i < s.length; i += STRIDE) if ((s[i] as number) > max) max = s[i] as number;
    win.max = max;
  }
}

export interface MemoryCountersOptions {
  /** Keys kept (least recently used dropped first); bounded memory whatever the traffic. */
  maxKeys?: number;
  /** Members kept per distinct set. */
  maxMembers?: number;
}

/**
 * The same operations as `Counters`, answered synchronously: what the in-process counters are underneath. The
 * assessor uses it when it is there (`syncCountersOf`), so a decision costs no promise per counter call.
 */
export interface SyncCounters {
  record(key: string, at: Date, amount?: number): Totals;
  read(key: string, at: Date): Totals;
  distinct(key: string, member: string | undefined, at: Date, windowMs: number): Distinct;
  stamp(key: string, at: Date, value: number | undefined, mode: 'first' | 'last', ttlMs: number): Stamp | undefined;
}

const syncOf = new WeakMap<Counters, SyncCounters>();

/** The synchronous implementation behind `c`, if it has one (the in-process counters do; Redis does not). */
export const syncCountersOf = (c: Counters): SyncCounters | undefined => syncOf.get(c);

/** In-process counters: Maps with LRU eviction (a re-used key moves to the end of the Map). */
export function memoryCounters(o: MemoryCountersOptions = {}): Counters {
  const sync = memorySyncCounters(o);
  const c: Counters = {
    record: async (key, at, amount) => sync.record(key, at, amount),
    read: async (key, at) => sync.read(key, at),
    distinct: async (key, member, at, windowMs) => sync.distinct(key, member, at, windowMs),
    stamp: async (key, at, value, mode, ttlMs) => sync.stamp(key, at, value, mode, ttlMs),
    async close() {},
  };
  syncOf.set(c, sync);
  return c;
}

/**
 * Deletes the oldest key of a Map through an iterator kept per Map: `map.keys().next()` from the start would step
 * over every entry deleted before it (V8 leaves them in place until the table is rebuilt), so evicting one key at a
 * time from a full Map of 200,000 grew with the Map. Everything before the kept iterator's position was deleted when
 * it was passed, so its next key is the oldest live one.
 */
const evictors = new WeakMap<Map<string, unknown>, Iterator<string>>();
function dropOldest(map: Map<string, unknown>): void {
  let it = evictors.get(map);
  let next = it?.next();
  if (!it || !next || next.done) {
    it = map.keys();
    evictors.set(map, it);
    next = it.next();
  }
  if (!next.done) map.delete(next.value);
}

function memorySyncCounters(o: MemoryCountersOptions): SyncCounters {
  const maxKeys = o.maxKeys ?? 200_000;
  const maxMembers = o.maxMembers ?? 1_000;
  const keys = new Map<string, Entry>();
  const sets = new Map<string, { moved: number; members: Map<string, number> }>();
  const stamps = new Map<string, Stamp & { expires: number }>();

  /**
   * Least recently used first, approximately: a key is moved to the end of its Map when it is used again, unless it
   * was moved within the last `slack` moves (it is then among the newest keys already, far from eviction). Moving a
   * key is a delete and a set, the largest share of a counter call when done on every use; the slack bounds how
   * early a key can be dropped (never before maxKeys − slack other keys were used since) and is 0 for small maps.
   */
  const slack = Math.floor(maxKeys / 8);
  let moves = 0;
  function touch<V extends { moved: number }>(map: Map<string, V>, key: string, make: () => V): V {
    let v = map.get(key);
    if (v === undefined) v = make();
    else if (moves - v.moved > slack) map.delete(key);
    else return v;
    v.moved = ++moves;
    map.set(key, v);
    if (map.size > maxKeys) dropOldest(map);
    return v;
  }

  function totalsOf(entry: Entry | undefined, ms: number): Totals {
    const t = zeroTotals();
    if (!entry) return t;
    for (let i = 0; i < 4; i++) {
      const win = entry.w[i] as Win;
      expire(win, SLOT_MS[i] as number, ms);
      const tw = t[WINDOW_NAMES[i] as WindowName];
      tw.count = win.count;
      tw.sum = win.sum;
      tw.max = win.max;
    }
    return t;
  }

  return {
    record(key, at, amount = 0) {
      const ms = at.getTime();
      const entry = touch(keys, key, newEntry);
      for (let i = 0; i < 4; i++) {
        const win = entry.w[i] as Win;
        const slot = Math.floor(ms / (SLOT_MS[i] as number));
        const s = win.s;
        const last = s.length - STRIDE;
        if (last >= win.head && s[last] === slot) {
          s[last + 1] = (s[last + 1] as number) + 1;
          s[last + 2] = (s[last + 2] as number) + amount;
          if (amount > (s[last + 3] as number)) s[last + 3] = amount;
        } else s.push(slot, 1, amount, amount);
        win.count += 1;
        win.sum += amount;
        if (amount > win.max) win.max = amount;
      }
      return totalsOf(entry, ms);
    },
    read(key, at) {
      return totalsOf(keys.get(key), at.getTime());
    },
    distinct(key, member, at, windowMs) {
      const ms = at.getTime();
      const set = touch(sets, key, () => ({ moved: 0, members: new Map<string, number>() })).members;
      // Oldest first (a re-seen member moves to the end): drop what left the window, then the oldest beyond the cap.
      for (const [m, seen] of set) {
        if (seen > ms - windowMs && set.size <= maxMembers) break;
        set.delete(m);
      }
      if (member === undefined) return { size: set.size, isNew: false };
      const isNew = !set.has(member);
      set.delete(member);
      set.set(member, ms);
      if (set.size > maxMembers) set.delete(set.keys().next().value as string);
      return { size: set.size, isNew };
    },
    stamp(key, at, value, mode, ttlMs) {
      const ms = at.getTime();
      let prior: (Stamp & { expires: number }) | undefined = stamps.get(key);
      if (prior && prior.expires <= ms) {
        stamps.delete(key);
        prior = undefined;
      }
      if (value !== undefined && (mode === 'last' || !prior)) {
        stamps.delete(key);
        stamps.set(key, { at: ms, value, expires: ms + ttlMs });
        if (stamps.size > maxKeys) dropOldest(stamps);
      }
      return prior ? { at: prior.at, value: prior.value } : undefined;
    },
  };
}
