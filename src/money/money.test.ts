import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addTokyoDays, tokyoDate, tokyoDayStart, tokyoMonthStart } from './tokyo-time.ts';
import {
  InvalidYenError,
  MAX_AMOUNT,
  amount,
  chargeHeadroom,
  isAmount,
  refuseCharge,
  remainingOf,
  yen,
} from './index.ts';

describe('Yen', () => {
  it.each([1, 500, MAX_AMOUNT])('%i is an amount', (n) => {
    expect(amount(n)).toBe(n);
    expect(isAmount(n)).toBe(true);
  });
  it.each([0, -1, 1.5, MAX_AMOUNT + 1, Number.NaN, Number.POSITIVE_INFINITY])('%s is not an amount', (n) => {
    expect(() => amount(n)).toThrow(InvalidYenError);
    expect(isAmount(n)).toBe(false);
  });
  it('accepts int8 strings and bigints from drivers, refuses fractions and unsafe integers', () => {
    expect(yen('12345')).toBe(12_345);
    expect(yen(10n)).toBe(10);
    expect(yen(-3)).toBe(-3);
    expect(() => yen('1.5')).toThrow(InvalidYenError);
    expect(() => yen(2 ** 60)).toThrow(InvalidYenError);
  });
});

describe('charge limits', () => {
  const limits = { perCharge: yen(100_000), monthly: yen(300_000), balanceCap: yen(1_000_000) };
  const fresh = { monthlyUsed: yen(0), dailyUsedOnLink: yen(0), walletHolding: yen(0) };

  it.each([
    [100_000, fresh, null],
    [100_001, fresh, 'per_charge'],
    [50_000, { ...fresh, monthlyUsed: yen(260_000) }, 'monthly'],
    [40_000, { ...fresh, monthlyUsed: yen(260_000) }, null],
    [1, { ...fresh, walletHolding: yen(1_000_000) }, 'balance_cap'],
  ] as const)('%i with %j → %s', (a, usage, refused) => {
    expect(refuseCharge(yen(a), limits, usage)?.limit ?? null).toBe(refused);
  });

  it('the cooling-off daily cap applies only while present', () => {
    const cooling = { ...limits, newLinkDaily: yen(10_000) };
    expect(refuseCharge(yen(10_001), cooling, fresh)).toMatchObject({ limit: 'new_link_daily', remaining: 10_000 });
    expect(refuseCharge(yen(3_000), cooling, { ...fresh, dailyUsedOnLink: yen(8_000) })).toMatchObject({
      limit: 'new_link_daily',
      remaining: 2_000,
    });
    expect(refuseCharge(yen(10_001), limits, fresh)).toBeNull();
  });

  it('a charge is refused exactly when it exceeds the headroom (property)', () => {
    const y = (max: number) => fc.integer({ min: 0, max }).map((n) => yen(n));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400_000 }),
        y(400_000),
        y(30_000),
        y(1_200_000),
        fc.boolean(),
        (a, monthlyUsed, dailyUsedOnLink, walletHolding, cooling) => {
          const l = cooling ? { ...limits, newLinkDaily: yen(10_000) } : limits;
          const usage = { monthlyUsed, dailyUsedOnLink, walletHolding };
          expect(refuseCharge(yen(a), l, usage) === null).toBe(a <= chargeHeadroom(l, usage));
        },
      ),
    );
  });

  it('remaining never goes below zero', () => {
    expect(remainingOf(yen(300_000), yen(350_000))).toBe(0);
  });
});

describe('Asia/Tokyo calendar', () => {
  it.each([
    // 2026-11-30T15:00Z is 2026-12-01 00:00 JST: a new month in Tokyo while still November in UTC.
    ['2026-11-30T14:59:59Z', '2026-10-31T15:00:00.000Z', '2026-11-29T15:00:00.000Z', '2026-11-30'],
    ['2026-11-30T15:00:00Z', '2026-11-30T15:00:00.000Z', '2026-11-30T15:00:00.000Z', '2026-12-01'],
    ['2027-01-01T00:00:00Z', '2026-12-31T15:00:00.000Z', '2026-12-31T15:00:00.000Z', '2027-01-01'],
  ])('%s → month from %s, day from %s, date %s', (at, month, day, date) => {
    expect(tokyoMonthStart(new Date(at)).toISOString()).toBe(month);
    expect(tokyoDayStart(new Date(at)).toISOString()).toBe(day);
    expect(tokyoDate(new Date(at))).toBe(date);
  });
  it('counts cooling-off days from the start of the activation day', () => {
    expect(addTokyoDays(new Date('2026-11-10T14:00:00Z'), 7).toISOString()).toBe('2026-11-16T15:00:00.000Z');
  });
});
