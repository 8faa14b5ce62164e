export type Role = 'support' | 'fraud_analyst' | 'compliance' | 'admin';
export const ROLES: readonly Role[] = ['support', 'fraud_analyst', 'compliance', 'admin'];

export interface Operator {
  id: string;
  email: string;
  role: Role;
}

/** The three per-bank switches an operator can move; an absent key leaves that switch as it is. */
export interface BankSwitches {
  linking?: boolean;
  charging?: boolean;
  registrationChanges?: boolean;
}

/** A bank as Saifu is configured for it (bank_settings), in the API's shape. */
export interface BankView {
  code: string;
  participating: boolean;
  authMethod: string | null;
  linking: boolean;
  charging: boolean;
  registrationChanges: boolean;
  perChargeLimit: number | null;
  monthlyLimit: number | null;
  coolingOffDays: number | null;
  newLinkDailyLimit: number | null;
  updatedAt: string;
}

export interface SwitchChange {
  id: string;
  bankCode: string;
  changes: BankSwitches;
  reason: string;
  actor: string;
  at: string;
}

/** One page of a list, newest first (API.md: `?limit&starting_after`, `{data, has_more}`). */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

export const MAX_REASON_LENGTH = 500;
