import type { ColumnType } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type ApprovalStatus = 'requested' | 'approved' | 'rejected' | 'executed' | 'failed';

/** Tables of the ops area (Kysely types). */
export interface OpsTables {
  bank_switch_changes: {
    id: string;
    bank_code: string;
    /** JSON of the switches changed: {"linking": false, ...} */
    changes: string;
    reason: string;
    actor: string;
    created_at: Ts;
  };
  operators: {
    id: string;
    email: string;
    password_hash: string;
    role: 'support' | 'fraud_analyst' | 'compliance' | 'admin' | 'bank';
    disabled_at: Nullable<Date | string>;
    created_at: Ts;
    /** The TOTP seed sealed with the server key (identity's SecretBox); NULL for operators from before 0019. */
    totp_secret: Nullable<string>;
    /** The last accepted TOTP time step: a code is good once. */
    totp_last_step: Nullable<number>;
    /** The one bank a `bank` operator belongs to (set if and only if role = 'bank'). */
    bank_code: Nullable<string>;
  };
  approvals: {
    id: string;
    action: string;
    target: string;
    /** JSON handed to the action's handler when approved. */
    payload: string;
    requested_by: string;
    reason: string;
    status: ColumnType<ApprovalStatus, ApprovalStatus | undefined, ApprovalStatus>;
    decided_by: Nullable<string>;
    decision_note: Nullable<string>;
    /** JSON: the handler's result (executed) or the error it threw (failed). */
    result: Nullable<string>;
    requested_at: Ts;
    decided_at: Nullable<Date | string>;
  };
  operator_sessions: {
    id: string;
    operator_id: string;
    token_hash: string;
    created_at: Ts;
    expires_at: Ts;
    revoked_at: Nullable<Date | string>;
  };
  audit_head: { id: number; seq: number; hash: string };
  audit_log: {
    seq: number;
    id: string;
    at: Ts;
    actor: string;
    action: string;
    target: string;
    details: string;
    prev_hash: string;
    hash: string;
  };
}
