import { type ChargeLimits, type Yen, yen } from '../money/index.ts';

export type VerificationLevel = 'unverified' | 'pending' | 'verified' | 'rejected';

/** Limits by verification level and per bank; the defaults are the 2020 service's figures (docs/product.md). */
export interface LimitPolicy {
  perCharge: Record<VerificationLevel, Yen>;
  monthly: Record<VerificationLevel, Yen>;
  balanceCap: Yen;
  /** Charges per Asia/Tokyo day on a link in its cooling-off period. */
  newLinkDaily: Yen;
  coolingOffDays: number;
  /** Transfers an unverified wallet may receive, per transfer. */
  unverifiedReceiveCap: Yen;
  /** Money moves only from wallets whose phone number is confirmed. */
  requirePhoneConfirmed: boolean;
  /** Sensitive money actions that need a fresh second factor. */
  stepUp: { firstChargeOnLink: boolean; firstWithdrawalToLink: boolean; transfersFrom: Yen };
}

export const DEFAULT_POLICY: LimitPolicy = {
  perCharge: { unverified: yen(100_000), pending: yen(100_000), verified: yen(100_000), rejected: yen(0) },
  monthly: { unverified: yen(300_000), pending: yen(300_000), verified: yen(300_000), rejected: yen(0) },
  balanceCap: yen(1_000_000),
  newLinkDaily: yen(10_000),
  coolingOffDays: 7,
  unverifiedReceiveCap: yen(10_000),
  requirePhoneConfirmed: true,
  stepUp: { firstChargeOnLink: true, firstWithdrawalToLink: true, transfersFrom: yen(50_000) },
};

/** The 2020 service's money rules: no cooling-off, no step-up, no phone needed. For tests and the simulator. */
export const WALLET_POLICY_2020: LimitPolicy = {
  ...DEFAULT_POLICY,
  coolingOffDays: 0,
  requirePhoneConfirmed: false,
  stepUp: { firstChargeOnLink: false, firstWithdrawalToLink: false, transfersFrom: yen(Number.MAX_SAFE_INTEGER) },
};

/** A bank's own limits (int8 columns, absent = no own limit). */
export interface BankLimitOverride {
  perCharge: number | null;
  monthly: number | null;
}

/** The limits for one charge: the level's figures, lowered (never raised) by the bank's own; `newLinkDaily` while cooling off. */
export function limitsFor(
  policy: LimitPolicy,
  level: VerificationLevel,
  bank: BankLimitOverride | undefined,
  newLinkDaily: Yen | undefined,
): ChargeLimits {
  const perCharge =
    bank?.perCharge != null ? yen(Math.min(bank.perCharge, policy.perCharge[level])) : policy.perCharge[level];
  const monthly = bank?.monthly != null ? yen(Math.min(bank.monthly, policy.monthly[level])) : policy.monthly[level];
  return { perCharge, monthly, balanceCap: policy.balanceCap, ...(newLinkDaily !== undefined ? { newLinkDaily } : {}) };
}
