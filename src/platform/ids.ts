import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** Prefixes say what an id names (docs/api.md). */
export type IdPrefix =
  | 'usr'
  | 'ses'
  | 'lnk'
  | 'otp'
  | 'idn'
  | 'sid'
  | 'op'
  | 'ops'
  | 'aud'
  | 'bsc'
  | 'chg'
  | 'pay'
  | 'trf'
  | 'wdr'
  | 'rfd'
  | 'case'
  | 'mer'
  | 'acc'
  | 'xfr'
  | 'msg'
  | 'idv'
  | 'apr'
  | 'flt'
  | 'key'
  | 'cev'
  | 'rev'
  | 'rst'
  | 'lst'
  /** An incident, one of its payouts, a bank's cost-split agreement (src/incidents). */
  | 'inc'
  | 'rem'
  | 'cag'
  | 'obx'
  | 'dlv'
  | 'whe'
  | 'prq'
  /** A forced re-link, and one run of it (banks/relinks.ts). */
  | 'rln'
  | 'rlr';

export type NewId = (prefix: IdPrefix) => string;

/**
 * Cryptographically random numbers in [0, 1), drawn from a pooled buffer: ulid asks for one number per
 * character, and a system call per character was a measurable share of the payment path.
 */
function pooledRandom(): () => number {
  let pool = randomBytes(4096);
  let at = 0;
  return () => {
    if (at + 4 > pool.length) {
      pool = randomBytes(4096);
      at = 0;
    }
    const n = pool.readUInt32BE(at);
    at += 4;
    return n / 0x1_0000_0000;
  };
}

/**
 * Time-ordered, crypto-random ids (ULID): sortable for pagination and unguessable. Tests and the simulator may
 * pass a seeded `random` and a clock so a run repeats id for id (never in production: ids must be unguessable).
 */
export function ulidIds(o: { random?: () => number; clock?: { now(): Date } } = {}): NewId {
  const next = monotonicFactory(o.random ?? pooledRandom());
  const clock = o.clock;
  return (prefix) => `${prefix}_${(clock ? next(clock.now().getTime()) : next()).toLowerCase()}`;
}

/**
 * A seeded pseudo-random source in [0, 1) (mulberry32): the same seed gives the same sequence. For repeatable
 * runs (tests, the simulator), not for secrets.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
