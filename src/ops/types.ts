export type Role = 'support' | 'fraud_analyst' | 'compliance' | 'admin';
export const ROLES: readonly Role[] = ['support', 'fraud_analyst', 'compliance', 'admin'];

export interface Operator {
  id: string;
  email: string;
  role: Role;
}

export const MAX_REASON_LENGTH = 500;
