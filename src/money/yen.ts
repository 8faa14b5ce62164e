/**
 * Integer yen. Every amount in Saifu is a `Yen`: checked once at construction, so the rest of the code can
 * trust it. Yen have no minor unit, so there is never a fraction to round.
 */
declare const yenBrand: unique symbol;
export type Yen = number & { readonly [yenBrand]: true };

/** The largest single amount any money object may carry (docs/api.md). */
export const MAX_AMOUNT = 9_999_999_999;

export class InvalidYenError extends Error {
  override readonly name = 'InvalidYenError';
}

/** Any integer yen value, including zero and negatives (balances, deltas). Safe-integer range only. */
export function yen(value: number | string | bigint): Yen {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidYenError(`not an integer yen amount: ${String(value)}`);
  return n as Yen;
}

/** A positive amount that money may move by: 1 … 9,999,999,999. */
export function amount(value: number | string | bigint): Yen {
  const n = yen(value);
  if (n < 1 || n > MAX_AMOUNT) throw new InvalidYenError(`amount out of range 1..${MAX_AMOUNT}: ${n}`);
  return n;
}

export function isAmount(value: unknown): value is Yen {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= MAX_AMOUNT;
}

export const ZERO = 0 as Yen;
export const add = (a: Yen, b: Yen): Yen => yen(a + b);
export const sub = (a: Yen, b: Yen): Yen => yen(a - b);
export const min = (...xs: Yen[]): Yen => yen(Math.min(...xs));
export const max = (...xs: Yen[]): Yen => yen(Math.max(...xs));
