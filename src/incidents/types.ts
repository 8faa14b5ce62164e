import type { Kysely, Transaction } from 'kysely';
import type { BankAccountRef, BankGateway, Holder, SwitchChange } from '../banks/index.ts';
import type { DB } from '../db/index.ts';
import type { IncidentStatus, RemediationStatus } from '../db/schema-incidents.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Approvals } from '../ops/index.ts';
import type { Clock, NewId } from '../platform/index.ts';

/** Ledger transfer codes of remediation (the ledger keeps the code as given; these are its incident codes). */
export const REMEDIATION_RETURN = 'remediation_return';
export const COMPENSATION = 'compensation';
/** The approval action a payout waits on (a second operator, never the requester). */
export const PAYOUT_ACTION = 'incident.payout';

export interface IncidentDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  ledger: Ledger;
  /** Bank credits to the victims' accounts (the same port withdrawals use). */
  bank: BankGateway;
  /** The account holder's name as the bank has it (for the victim search by name); absent = not searched. */
  holderOf?: (account: BankAccountRef) => Promise<Holder | undefined>;
  approvals: Pick<Approvals, 'requestApproval' | 'registerApprovalHandler'>;
  audit: (
    trx: Transaction<DB>,
    e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
  ) => Promise<unknown>;
  /** identity: freezes the wallets' outgoing money, in the caller's transaction. */
  freezeUsers: (trx: Transaction<DB>, userIds: string[], at: Date) => Promise<void>;
  /** Told after the commit (identity drops cached sessions of frozen users). */
  onUsersFrozen?: (userIds: string[]) => void;
  /** banks: whether a bank is configured in Saifu. */
  bankConfigured: (bankCode: string) => Promise<boolean>;
  /** banks: a bank's switch changes, newest first (the regulator summary's timeline). */
  switchHistory: (bankCode: string) => Promise<SwitchChange[]>;
  /** A YAML or JSON file with the published compensation policy; absent = the built-in default. */
  compensationPolicyPath?: string | undefined;
  alert?: (message: string, details: Record<string, unknown>) => void;
}

export interface Incident {
  id: string;
  bankCode: string | null;
  from: string;
  to: string;
  reason: string;
  status: IncidentStatus;
  createdBy: string;
  createdAt: string;
  closedAt: string | null;
}

export interface RiskSummary {
  decision: string;
  score: number;
  reasons: Array<{ rule: string; message: string }>;
}

export interface WindowLink {
  id: string;
  userId: string;
  bankCode: string;
  branchCode: string;
  accountNumberLast4: string;
  status: string;
  createdAt: string;
  activatedAt: string | null;
  nameMatchScore: number | null;
  risk: RiskSummary;
  deviceId: string | null;
  ip: string | null;
  phone: string | null;
  walletVerified: boolean;
  /** The holder has told their bank "this wasn't me" (an unauthorized_report case on the account). */
  reportedByHolder: boolean;
  fraudulent: boolean;
  clusters: string[];
  charged: number;
}

export interface WindowCharge {
  id: string;
  linkId: string;
  userId: string;
  bankCode: string;
  accountNumberLast4: string;
  amount: number;
  status: string;
  createdAt: string;
  risk: RiskSummary;
  fraudulent: boolean;
  reportedByHolder: boolean;
}

export interface Cluster {
  id: string;
  kind: 'device' | 'ip' | 'phone' | 'wallet';
  value: string;
  linkIds: string[];
}

export interface Victim {
  key: string;
  bankCode: string;
  branchCode: string;
  accountType: string;
  accountNumber: string;
  /** Successful charges from the account on the incident's fraudulent links. */
  loss: number;
  charges: Array<{ id: string; amount: number }>;
  linkIds: string[];
  userIds: string[];
  reportedByHolder: boolean;
}

export interface PlannedSource {
  userId: string;
  accountId: string;
  amount: number;
}

export interface VictimPlan {
  victimKey: string;
  bankCode: string;
  branchCode: string;
  accountNumberLast4: string;
  loss: number;
  returnable: number;
  shortfall: number;
  split: CostSplit;
  sources: PlannedSource[];
  /** The victim's live or finished payout, if any. */
  remediation: { id: string; status: RemediationStatus } | null;
}

export interface CostSplit {
  operatorSharePct: number;
  bankSharePct: number;
  operatorShare: number;
  bankShare: number;
  agreementId: string | null;
}

export interface CostAgreement {
  id: string;
  bankCode: string;
  operatorSharePct: number;
  bankSharePct: number;
  effectiveFrom: string;
  recordedBy: string;
  note: string;
  createdAt: string;
}

export interface Remediation {
  id: string;
  incidentId: string;
  victimKey: string;
  bankCode: string;
  branchCode: string;
  accountNumberLast4: string;
  loss: number;
  returned: number;
  compensated: number;
  split: CostSplit;
  status: RemediationStatus;
  failureCode: string | null;
  approvalId: string;
  requestedBy: string;
  approvedBy: string;
  createdAt: string;
  updatedAt: string;
}

/** Who asks: an operator with its role and, for bank staff, its bank. */
export interface Viewer {
  id: string;
  role: string;
  bankCode?: string;
}
