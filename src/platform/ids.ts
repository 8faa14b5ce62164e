import { monotonicFactory } from 'ulid';

/** Prefixes say what an id names (API.md). */
export type IdPrefix =
  | 'usr' | 'ses' | 'lnk' | 'otp' | 'idn' | 'sid' | 'op' | 'ops' | 'aud' | 'bsc' | 'chg' | 'pay' | 'trf' | 'wdr' | 'rfd' | 'case' | 'mer' | 'acc' | 'xfr' | 'msg' | 'idv' | 'apr' | 'flt' | 'key';

export type NewId = (prefix: IdPrefix) => string;

/** Time-ordered, crypto-random ids (ULID): sortable for pagination and unguessable. */
export function ulidIds(): NewId {
  const next = monotonicFactory();
  return (prefix) => `${prefix}_${next().toLowerCase()}`;
}
