import type { ColumnType } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** Forced re-links and withdrawal accounts (migration 0023); written only by src/banks. */
export interface WithdrawalAccountTables {
  link_relinks: {
    /** rln_… */
    id: string;
    approval_id: Nullable<string>;
    /** NULL = every bank. */
    bank_code: string | null;
    reason: string;
    requested_by: string;
    approved_by: string;
    status: 'running' | 'done';
    /** The last user id (in order) whose active links were moved; '' before the first batch. */
    moved_through: ColumnType<string, string | undefined, string>;
    /** The last user id (in order) who was told; never past moved_through. */
    notified_through: ColumnType<string, string | undefined, string>;
    links_moved: ColumnType<number, number | undefined, number>;
    users_notified: ColumnType<number, number | undefined, number>;
    lease_until: Nullable<Date | string>;
    leased_by: Nullable<string>;
    created_at: Ts;
    completed_at: Nullable<Date | string>;
  };
  withdrawal_accounts: {
    user_id: string;
    bank_link_id: string;
    since: Ts;
    /** While in the future: withdrawals to bank_link_id wait, withdrawals to previous_bank_link_id still go. */
    cooling_off_until: Nullable<Date | string>;
    previous_bank_link_id: Nullable<string>;
    updated_at: Ts;
  };
}
