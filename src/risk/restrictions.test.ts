import { describe, expect, it } from 'vitest';
import { type Restriction, activeRestrictions, checkRestriction, describeRestriction } from './restrictions.ts';

const NOW = new Date('2026-11-10T03:00:00Z');
const until = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);
const cap: Restriction = { type: 'charge_daily_cap', limit: 10_000, until: until(24), message: 'cap' };
const noTransfers: Restriction = { type: 'no_outgoing_transfers', until: until(1), message: 'no transfers' };
const ownAccount: Restriction = { type: 'withdrawals_to_charging_account_only', until: until(2), message: 'own' };
const merchants: Restriction = { type: 'merchants_only', until: until(-1), message: 'merchants' };

describe('restrictions', () => {
  it('are active until their expiry, exclusive', () => {
    expect(activeRestrictions([cap, noTransfers, merchants], NOW)).toEqual([cap, noTransfers]);
    expect(activeRestrictions([noTransfers], until(1))).toEqual([]);
  });
  it('say which one refuses a movement', () => {
    const all = [cap, noTransfers, ownAccount, { ...merchants, until: until(5) }];
    expect(checkRestriction({ kind: 'charge', amount: 6_000, chargedToday: 5_000 }, all, NOW)).toBe(cap);
    expect(checkRestriction({ kind: 'charge', amount: 5_000, chargedToday: 5_000 }, all, NOW)).toBeUndefined();
    expect(checkRestriction({ kind: 'transfer' }, all, NOW)).toBe(noTransfers);
    expect(checkRestriction({ kind: 'withdrawal', toChargingAccount: false }, all, NOW)).toBe(ownAccount);
    expect(checkRestriction({ kind: 'withdrawal', toChargingAccount: true }, all, NOW)).toBeUndefined();
    expect(checkRestriction({ kind: 'payment', recipientKind: 'person' }, [all[3] as Restriction], NOW)?.type).toBe(
      'merchants_only',
    );
    expect(checkRestriction({ kind: 'payment', recipientKind: 'merchant' }, all, NOW)).toBeUndefined();
    expect(checkRestriction({ kind: 'transfer' }, all, until(6))).toBeUndefined();
  });
  it('describe themselves in plain words with the expiry in Japan time', () => {
    expect(describeRestriction(cap)).toBe('cap (until 2026-11-11 12:00 JST)');
  });
});
