import type { ColumnType } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type MerchantStatus = 'active' | 'suspended';
/** Stored statuses; `expired` is never stored: an open request past its expires_at reads as expired. */
export type PaymentRequestStatus = 'open' | 'paid' | 'cancelled';

/**
 * Tables of the merchants area (Kysely types). The `merchants` table itself is declared in schema.ts (0002); the
 * columns added by 0022 are declared here and merged in.
 */
export interface MerchantColumns {
  status: ColumnType<MerchantStatus, MerchantStatus | undefined, MerchantStatus>;
  legal_name_kana: Nullable<string>;
  payout_bank_code: Nullable<string>;
  payout_branch_code: Nullable<string>;
  payout_account_type: Nullable<'ordinary' | 'current' | 'savings'>;
  payout_account_number: Nullable<string>;
  payout_name_score: Nullable<number>;
  webhook_url: Nullable<string>;
  /** The hash of the key that was current before the last rotation, valid until previous_key_expires_at. */
  previous_key_hash: Nullable<string>;
  previous_key_expires_at: Nullable<Date | string>;
  key_rotated_at: Nullable<Date | string>;
  suspended_at: Nullable<Date | string>;
  onboarded_by: Nullable<string>;
}

export interface MerchantsTables {
  payment_requests: {
    id: string;
    merchant_id: string;
    amount: ColumnType<number, number, number>;
    reference: string;
    status: PaymentRequestStatus;
    payment_id: Nullable<string>;
    expires_at: Ts;
    paid_at: Nullable<Date | string>;
    cancelled_at: Nullable<Date | string>;
    created_at: Ts;
  };
}
