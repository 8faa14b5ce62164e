export type Role = 'support' | 'fraud_analyst' | 'compliance' | 'admin' | 'bank';
export const ROLES: readonly Role[] = ['support', 'fraud_analyst', 'compliance', 'admin', 'bank'];
/** Saifu's own staff: every role but `bank` (a participating bank's staff, scoped to its bank code). */
export const STAFF_ROLES: readonly Role[] = ['support', 'fraud_analyst', 'compliance', 'admin'];

export interface Operator {
  id: string;
  email: string;
  role: Role;
  /** Set for (and only for) the `bank` role: the one bank whose customers this operator may see. */
  bankCode?: string;
}

export const MAX_REASON_LENGTH = 500;
