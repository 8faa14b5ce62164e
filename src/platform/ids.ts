import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** Prefixes say what an id names (API.md). */
export type IdPrefix =
  | 'usr' | 'ses' | 'lnk' | 'otp' | 'idn' | 'sid' | 'op' | 'ops' | 'aud' | 'bsc'
  | 'chg' | 'pay' | 'trf' | 'wdr' | 'rfd' | 'case' | 'mer' | 'acc' | 'xfr' | 'msg' | 'idv' | 'apr' | 'flt' | 'key';

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

/** Time-ordered, crypto-random ids (ULID): sortable for pagination and unguessable. */
export function ulidIds(): NewId {
  const next = monotonicFactory(pooledRandom());
  return (prefix) => `${prefix}_${next().toLowerCase()}`;
}
