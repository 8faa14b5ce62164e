import { type Yen, max, min, sub, yen } from './yen.ts';

/** Limits that apply to a user's charges; which figures apply is decided by verification level and bank. */
export interface ChargeLimits {
  perCharge: Yen;
  monthly: Yen;
  /** Cap per Asia/Tokyo day while a link is in its cooling-off period; absent when the link is past it. */
  newLinkDaily?: Yen;
  /** The most a wallet may hold, counting charges in flight. */
  balanceCap: Yen;
}

export interface ChargeUsage {
  /** Charges this Asia/Tokyo month that succeeded or are held (pending, in review, awaiting step-up). */
  monthlyUsed: Yen;
  /** The same, today, on this link (only meaningful while cooling off). */
  dailyUsedOnLink: Yen;
  /** Spendable balance plus incoming charges in flight. */
  walletHolding: Yen;
}

export type ChargeRefusal =
  | { limit: 'per_charge'; limitAmount: Yen; remaining: Yen }
  | { limit: 'monthly'; limitAmount: Yen; remaining: Yen }
  | { limit: 'new_link_daily'; limitAmount: Yen; remaining: Yen }
  | { limit: 'balance_cap'; limitAmount: Yen; remaining: Yen };

/** The largest charge allowed right now: the smallest of every limit's remaining room (docs/api.md). */
export function chargeHeadroom(limits: ChargeLimits, usage: ChargeUsage): Yen {
  const rooms = [
    limits.perCharge,
    remainingOf(limits.monthly, usage.monthlyUsed),
    remainingOf(limits.balanceCap, usage.walletHolding),
  ];
  if (limits.newLinkDaily !== undefined) rooms.push(remainingOf(limits.newLinkDaily, usage.dailyUsedOnLink));
  return min(...rooms);
}

/** Why a charge of `amount` is refused, or null when every limit has room for it. Checked in a fixed order so the answer is stable. */
export function refuseCharge(amount: Yen, limits: ChargeLimits, usage: ChargeUsage): ChargeRefusal | null {
  if (amount > limits.perCharge)
    return { limit: 'per_charge', limitAmount: limits.perCharge, remaining: limits.perCharge };
  const monthly = remainingOf(limits.monthly, usage.monthlyUsed);
  if (amount > monthly) return { limit: 'monthly', limitAmount: limits.monthly, remaining: monthly };
  if (limits.newLinkDaily !== undefined) {
    const daily = remainingOf(limits.newLinkDaily, usage.dailyUsedOnLink);
    if (amount > daily) return { limit: 'new_link_daily', limitAmount: limits.newLinkDaily, remaining: daily };
  }
  const cap = remainingOf(limits.balanceCap, usage.walletHolding);
  if (amount > cap) return { limit: 'balance_cap', limitAmount: limits.balanceCap, remaining: cap };
  return null;
}

export function remainingOf(limit: Yen, used: Yen): Yen {
  return max(yen(0), sub(limit, used));
}
