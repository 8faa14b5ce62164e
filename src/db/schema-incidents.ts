import type { ColumnType } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;
/** bigint columns: both drivers return JS numbers (connect.ts); the repository brands them as Yen. */
type Int8 = ColumnType<number, number | bigint, number | bigint>;

export type IncidentStatus = 'open' | 'closed';
export type RemediationStatus = 'held' | 'pending' | 'succeeded' | 'failed';

/** Tables of the incidents area (Kysely types); written only by src/incidents. */
export interface IncidentTables {
  /** Each bank's agreed split of compensation costs; the row in force is the latest effective_from not after now. */
  bank_cost_agreements: {
    id: string;
    bank_code: string;
    operator_share_pct: number;
    bank_share_pct: number;
    effective_from: Ts;
    recorded_by: string;
    note: string;
    created_at: Ts;
  };
  incidents: {
    id: string;
    /** NULL: every bank. */
    bank_code: string | null;
    window_from: Ts;
    window_to: Ts;
    reason: string;
    status: ColumnType<IncidentStatus, IncidentStatus | undefined, IncidentStatus>;
    created_by: string;
    created_at: Ts;
    closed_at: Nullable<Date | string>;
  };
  incident_fraud_links: {
    incident_id: string;
    link_id: string;
    user_id: string;
    bank_code: string;
    branch_code: string;
    account_type: string;
    account_number: string;
    /** The cluster the analyst marked by (`device:…`, `ip:…`, `phone:…`, `wallet:…`), or NULL for a single link. */
    cluster: string | null;
    note: string;
    marked_by: string;
    marked_at: Ts;
  };
  /** Wallets frozen by the incident: the fraudulent ones and the recipients their money went to (one hop). */
  incident_wallets: {
    incident_id: string;
    user_id: string;
    role: 'fraudulent' | 'recipient';
    /** For a recipient: what it received from the incident's fraudulent wallets (the most it gives back). */
    traced_amount: Int8;
    frozen_at: Ts;
  };
  /** Where a fraudulent wallet's money went: transfers, payments, withdrawals. */
  incident_traces: {
    incident_id: string;
    object_id: string;
    kind: 'transfer' | 'payment' | 'withdrawal';
    from_user_id: string;
    /** A user id (transfer), merchant id (payment) or bank link id (withdrawal). */
    counterparty: string;
    amount: Int8;
    status: string;
    occurred_at: Ts;
  };
  /** One payout to one victim (bank account) of one incident: returned balances first, compensation for the rest. */
  incident_remediations: {
    id: string;
    incident_id: string;
    victim_key: string;
    bank_code: string;
    branch_code: string;
    account_type: string;
    account_number: string;
    loss: Int8;
    returned: Int8;
    compensated: Int8;
    operator_share: Int8;
    bank_share: Int8;
    operator_share_pct: number;
    bank_share_pct: number;
    agreement_id: string | null;
    /** JSON [{userId, accountId, amount}]: the wallets the return is taken from. */
    sources: string;
    /** JSON: the ledger holds (pending transfer ids), posted or voided with the bank's answer. */
    hold_ids: string;
    status: ColumnType<RemediationStatus, RemediationStatus | undefined, RemediationStatus>;
    failure_code: Nullable<string>;
    approval_id: string;
    requested_by: string;
    approved_by: string;
    bank_called_at: Nullable<Date | string>;
    created_at: Ts;
    updated_at: Ts;
  };
  /** The charges a remediation makes good: each charge at most once across every incident while not failed. */
  incident_remediation_charges: {
    remediation_id: string;
    charge_id: string;
    amount: Int8;
    released: ColumnType<boolean, boolean | undefined, boolean>;
  };
}
