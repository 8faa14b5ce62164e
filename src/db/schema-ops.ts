import type { ColumnType } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

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
    role: 'support' | 'fraud_analyst' | 'compliance' | 'admin';
    disabled_at: Nullable<Date | string>;
    created_at: Ts;
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
