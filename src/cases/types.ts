import type { CaseStatus } from '../db/index.ts';
import type { ListEntry, ListKind } from '../risk/index.ts';
import type { ReviewOutcome } from '../wallet/index.ts';

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

/** What an analyst may do on a case (POST /v1/admin/cases/{id}/actions); approve and reject resolve it. */
export const CASE_ACTIONS = ['approve', 'reject', 'freeze_wallet', 'unfreeze_wallet', 'block', 'label'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];
export type FraudLabel = 'fraud' | 'not_fraud';

export interface CaseActionInput {
  action: CaseAction;
  note: string;
  /** For `label`. */
  label?: FraudLabel;
  /** For `block`: the value defaults to the case's own (its event's device, IP, user, bank account, payee...). */
  block?: { kind: ListKind; value?: string; expiresAt?: Date };
}

export interface CaseActionResult {
  action: CaseAction;
  case: CaseView;
  /** approve / reject: what the money object became. */
  object?: ReviewOutcome | LinkReviewOutcome;
  frozenWallets?: string[];
  unfrozenWallets?: string[];
  /** block: the block entry; label fraud: the watch entries it spread to. */
  listEntries?: ListEntry[];
  /** label: stored risk events labelled. */
  labelled?: number;
  /** unfreeze_wallet on an unauthorized report: nothing changed yet; the four-eyes request a second operator decides. */
  approvalId?: string;
}

/** The four-eyes action (ops' approvals) that unfreezes the wallets an unauthorized report froze. */
export const UNFREEZE_APPROVAL = 'case.unfreeze_wallet';

/** A stored risk event as an analyst sees it: the account number in `event.bankAccount` masked to its last four. */
export interface ReviewEvent {
  id: string;
  type: string;
  userId: string;
  objectId: string | null;
  amount: number;
  at: string;
  event: Record<string, unknown>;
  signals: Record<string, unknown>;
  decision: 'allow' | 'challenge' | 'review' | 'deny';
  score: number;
  reasons: Array<{ rule: string; message: string }>;
  ruleSetVersion: number;
  shadow: {
    version: number;
    decision: string;
    score: number;
    reasons: Array<{ rule: string; message: string }>;
  } | null;
  label: FraudLabel | null;
}

/** The fields of an event that tie it to other wallets' events. */
export const RELATED_BY = {
  device: 'deviceId',
  ip: 'ip',
  bankAccount: 'bankAccount',
  recipient: 'recipientId',
} as const;
export type RelatedBy = keyof typeof RELATED_BY;

/** What a risk review case shows beside the case: the object's stored events and events related to them. */
export interface RiskReviewView {
  events: ReviewEvent[];
  /** Other stored events sharing the object's device, IP, bank account or payee: 20 each, newest first. */
  related: Record<RelatedBy, ReviewEvent[]>;
}

/** What an analyst's decision left a reviewed bank link as. */
export interface LinkReviewOutcome {
  object: 'bank_link';
  id: string;
  status: string;
  failureCode?: import('../db/index.ts').LinkFailureCode;
}
/** Writes that commit with a link review's decision (the case record and audit). */
export type LinkDecision = (trx: import('kysely').Transaction<import('../db/index.ts').DB>) => Promise<void>;
