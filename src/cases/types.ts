import type { CaseStatus } from '../db/index.ts';

export type CaseKind = 'unauthorized_report' | 'reverse_brute_force' | 'risk_review';
export const CASE_KINDS: readonly CaseKind[] = ['unauthorized_report', 'reverse_brute_force', 'risk_review'];
export const CASE_STATUSES: readonly CaseStatus[] = ['open', 'investigating', 'resolved', 'dismissed'];
export type { CaseStatus };

/** Where a case may go from each status: resolved and dismissed cases are final. */
export const CASE_TRANSITIONS: Record<CaseStatus, readonly CaseStatus[]> = {
  open: ['investigating', 'resolved', 'dismissed'],
  investigating: ['resolved', 'dismissed', 'open'],
  resolved: [],
  dismissed: [],
};

export interface CaseView {
  id: string;
  kind: CaseKind;
  status: CaseStatus;
  assignee: string | null;
  bankAccount: { bankCode: string; branchCode: string; accountNumberLast4: string } | null;
  details: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

export interface UnauthorizedReport {
  caseId: string;
  frozenLinks: string[];
  frozenWallets: string[];
  heldCharges: string[];
}
