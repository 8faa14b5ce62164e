import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { defaultRuleSet } from './engine.ts';
import { type RiskEvent, type Signals, riskEvent, signalsOf } from './vocabulary.ts';

const shipped = defaultRuleSet();
/** Every rule switched on, so the ones shipped off (waiting for a signal) are proved too. */
const pack = { ...shipped, rules: shipped.rules.map((r) => ({ ...r, enabled: true })) };
const NOON_TOKYO = new Date('2026-11-10T03:00:00Z');
const THREE_AM_TOKYO = new Date('2026-11-09T18:00:00Z');

interface Case {
  event: Partial<RiskEvent> & Pick<RiskEvent, 'type'>;
  signals: Partial<Signals>;
  at?: Date;
}
/** Each default rule: an event that fires it, and the nearest event that does not. */
const CASES: Record<string, { fires: Case; nearMiss: Case }> = {
  link_then_drain: {
    fires: { event: { type: 'charge', amount: 90_000 }, signals: { linkAgeHours: 2, limitRatio: 0.9 } },
    nearMiss: { event: { type: 'charge', amount: 90_000 }, signals: { linkAgeHours: 25, limitRatio: 0.9 } },
  },
  link_then_drain_velocity: {
    fires: {
      event: { type: 'charge', amount: 30_000 },
      signals: { linkAgeHours: 30, userCharges24h: 3, userChargeSum24h: 75_000 },
    },
    nearMiss: {
      event: { type: 'charge', amount: 20_000 },
      signals: { linkAgeHours: 30, userCharges24h: 3, userChargeSum24h: 75_000 },
    },
  },
  many_wallets_per_device: {
    fires: { event: { type: 'signup' }, signals: { walletsPerDevice30d: 4 } },
    nearMiss: { event: { type: 'signup' }, signals: { walletsPerDevice30d: 3 } },
  },
  many_wallets_per_ip: {
    fires: { event: { type: 'link' }, signals: { walletsPerIp24h: 10 } },
    nearMiss: { event: { type: 'payment', recipientKind: 'merchant' }, signals: { walletsPerIp24h: 50 } },
  },
  identities_per_device: {
    fires: { event: { type: 'withdrawal', amount: 5_000 }, signals: { identitiesPerDevice30d: 2 } },
    nearMiss: { event: { type: 'withdrawal', amount: 5_000 }, signals: { identitiesPerDevice30d: 1 } },
  },
  reverse_brute_force_pin: {
    fires: { event: { type: 'pin_failure' }, signals: { pinFailuresPerPinValue1h: 5 } },
    nearMiss: { event: { type: 'pin_failure' }, signals: { pinFailuresPerPinValue1h: 4 } },
  },
  reverse_brute_force_device: {
    fires: { event: { type: 'link' }, signals: { pinFailureAccountsPerDevice1h: 3 } },
    nearMiss: { event: { type: 'link' }, signals: { pinFailureAccountsPerDevice1h: 2 } },
  },
  cash_out: {
    fires: {
      event: { type: 'transfer', amount: 45_000, recipientKind: 'person' },
      signals: { minutesSinceLastCharge: 5, lastChargeAmount: 50_000 },
    },
    nearMiss: {
      event: { type: 'transfer', amount: 45_000, recipientKind: 'person' },
      signals: { minutesSinceLastCharge: 45, lastChargeAmount: 50_000 },
    },
  },
  new_link_cash_out: {
    fires: {
      event: { type: 'transfer', amount: 10_000, recipientKind: 'person' },
      signals: { minutesSinceLastCharge: 45, lastChargeAmount: 10_000, lastLinkAgeHours: 20 },
    },
    nearMiss: {
      event: { type: 'transfer', amount: 10_000, recipientKind: 'person' },
      signals: { minutesSinceLastCharge: 45, lastChargeAmount: 10_000, lastLinkAgeHours: 200 },
    },
  },
  mule_recipient: {
    fires: {
      event: { type: 'transfer', amount: 3_000, recipientKind: 'person' },
      signals: { recipientNewPayers24h: 5 },
    },
    nearMiss: {
      event: { type: 'payment', amount: 3_000, recipientKind: 'merchant' },
      signals: { recipientNewPayers24h: 40 },
    },
  },
  account_takeover: {
    fires: {
      event: { type: 'withdrawal', amount: 20_000 },
      signals: { deviceAgeHours: 1, passwordChangeAgeHours: 2, lastLinkAgeHours: 1 },
    },
    nearMiss: {
      event: { type: 'withdrawal', amount: 20_000 },
      signals: { deviceAgeHours: 1, passwordChangeAgeHours: 2, lastLinkAgeHours: 24 * 30 },
    },
  },
  phone_change_then_link: {
    fires: { event: { type: 'link' }, signals: { phoneChangeAgeHours: 3 } },
    nearMiss: { event: { type: 'link' }, signals: { phoneChangeAgeHours: 80 } },
  },
  night_large_amount: {
    fires: { event: { type: 'charge', amount: 60_000 }, signals: { userMaxAmount30d: 10_000 }, at: THREE_AM_TOKYO },
    nearMiss: { event: { type: 'charge', amount: 60_000 }, signals: { userMaxAmount30d: 80_000 }, at: THREE_AM_TOKYO },
  },
  name_match_review_band: {
    fires: { event: { type: 'link' }, signals: { nameMatchScore: 78 } },
    nearMiss: { event: { type: 'link' }, signals: { nameMatchScore: 85 } },
  },
  blocklisted: {
    fires: { event: { type: 'login' }, signals: { blocklisted: true } },
    nearMiss: { event: { type: 'login' }, signals: { blocklisted: false } },
  },
  near_fraud: {
    fires: { event: { type: 'charge', amount: 5_000 }, signals: { watchlisted: true } },
    nearMiss: { event: { type: 'charge', amount: 5_000 }, signals: { watchlisted: true, allowlisted: true } },
  },
};

const run = (c: Case) => decide(riskEvent(c.event), signalsOf(c.signals), pack, c.at ?? NOON_TOKYO);
const fired = (c: Case) => run(c).reasons.map((r) => r.rule);

describe('default rule pack', () => {
  it('has a case for every rule and no other', () => {
    expect(Object.keys(CASES).sort()).toEqual(pack.rules.map((r) => r.id).sort());
  });
  for (const rule of pack.rules) {
    describe(rule.id, () => {
      const c = CASES[rule.id];
      it('fires on its pattern, with its action', () => {
        if (!c) throw new Error(`no case for ${rule.id}`);
        const d = run(c.fires);
        expect(d.errors).toEqual([]);
        expect(fired(c.fires)).toContain(rule.id);
        expect(d.decision).toBe(rule.action);
      });
      it('does not fire on its near-miss', () => {
        if (!c) throw new Error(`no case for ${rule.id}`);
        expect(run(c.nearMiss).errors).toEqual([]);
        expect(fired(c.nearMiss)).not.toContain(rule.id);
      });
    });
  }
  it('every rule ships on: night_large_amount since userMaxAmount30d is computed from history', () => {
    expect(shipped.rules.filter((r) => !r.enabled).map((r) => r.id)).toEqual([]);
    const c = CASES.night_large_amount!.fires;
    expect(decide(riskEvent(c.event), signalsOf(c.signals), shipped, c.at ?? NOON_TOKYO).reasons).toMatchObject([
      { rule: 'night_large_amount' },
    ]);
  });
  it('many_wallets_per_device spares a device whose linked identities share one family name (a household)', () => {
    const signup = (identitiesPerDevice30d: number) =>
      fired({ event: { type: 'signup' }, signals: { walletsPerDevice30d: 4, identitiesPerDevice30d } });
    expect(signup(1)).not.toContain('many_wallets_per_device');
    expect(signup(0)).toContain('many_wallets_per_device');
    expect(signup(2)).toContain('many_wallets_per_device');
  });
  it('many_wallets_per_device holds charges on a young link (a wallet farm draining), not on an old one (a family)', () => {
    const charge = (linkAgeHours: number, walletsPerDevice30d: number) =>
      fired({ event: { type: 'charge', amount: 9_000 }, signals: { linkAgeHours, walletsPerDevice30d } });
    expect(charge(1, 4)).toContain('many_wallets_per_device');
    expect(charge(71, 4)).toContain('many_wallets_per_device');
    expect(charge(72, 4)).not.toContain('many_wallets_per_device');
    expect(charge(1, 3)).not.toContain('many_wallets_per_device');
    expect(
      fired({ event: { type: 'payment', amount: 9_000 }, signals: { linkAgeHours: 1, walletsPerDevice30d: 9 } }),
    ).not.toContain('many_wallets_per_device');
  });
  it('an ordinary charge by an established user fires nothing', () => {
    const d = run({ event: { type: 'charge', amount: 5_000 }, signals: { userCharges24h: 1 } });
    expect(d).toMatchObject({ decision: 'allow', score: 0, reasons: [], restrictions: [], errors: [] });
  });
  it('the 2020 pattern (new link, near the limit, cashed out) is held at both steps, with restrictions', () => {
    const charge = run({ event: { type: 'charge', amount: 100_000 }, signals: { linkAgeHours: 1, limitRatio: 1 } });
    expect(charge.decision).toBe('review');
    expect(charge.restrictions[0]).toMatchObject({
      type: 'charge_daily_cap',
      limit: 10_000,
      until: new Date(NOON_TOKYO.getTime() + 168 * 3_600_000),
    });
    const out = run({
      event: { type: 'withdrawal', amount: 100_000 },
      signals: { minutesSinceLastCharge: 2, lastChargeAmount: 100_000, lastLinkAgeHours: 1 },
    });
    expect(out.decision).toBe('review');
    expect(out.restrictions.map((r) => r.type)).toEqual([
      'no_outgoing_transfers',
      'withdrawals_to_charging_account_only',
    ]);
  });
});
