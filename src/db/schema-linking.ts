import type { ColumnType, Generated } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;

/** Tables of the linking area (Kysely types). bank_links itself is a core table (schema.ts). */
export type CaseStatus = 'open' | 'investigating' | 'resolved' | 'dismissed';

export interface LinkingTables {
  linked_bank_accounts: {
    bank_code: string;
    branch_code: string;
    account_number: string;
    max_links: ColumnType<number, number | undefined, number>;
    active_links: ColumnType<number, number | undefined, number>;
  };
  pin_failures: {
    id: Generated<number>;
    pin_key: string;
    bank_code: string;
    account_key: string;
    device_id: string | null;
    ip: string | null;
    user_id: string | null;
    created_at: Ts;
  };
  sandbox_bank_otps: {
    reference: string;
    bank_code: string;
    phone: string;
    code_hash: string;
    attempts: ColumnType<number, number | undefined, number>;
    expires_at: Ts;
    used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  };
  sandbox_approvals: {
    id: string;
    reference: string;
    bank_code: string;
    branch_code: string;
    account_number: string;
    status: 'pending' | 'approved' | 'denied';
    expires_at: Ts;
    created_at: Ts;
  };
  /** Owned by src/cases. */
  cases: {
    id: string;
    kind: 'unauthorized_report' | 'reverse_brute_force' | 'risk_review';
    status: ColumnType<CaseStatus, CaseStatus | undefined, CaseStatus>;
    bank_code: string | null;
    branch_code: string | null;
    account_number: string | null;
    details: string;
    assignee: ColumnType<string | null, string | null | undefined, string | null>;
    created_at: Ts;
    updated_at: Ts;
  };
  case_events: {
    id: string;
    case_id: string;
    actor: string;
    from_status: CaseStatus;
    to_status: CaseStatus;
    assignee: string | null;
    note: string;
    created_at: Ts;
  };
}
