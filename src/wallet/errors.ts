/** wallet's error codes (charges, payments, transfers, withdrawals, refunds), closed; statuses in http/errors.ts. */
export const WALLET_ERROR_CODES = [
  'unknown_merchant',
  'limit_exceeded',
  'self_transfer',
  'refund_exceeds_payment',
  'link_not_active',
  // A link added only to receive withdrawals (purpose `withdrawals`) is never charged.
  'link_withdrawals_only',
  'wallet_frozen',
  'security_hold',
  'recipient_unavailable',
  'charging_suspended',
  'registration_changes_suspended',
  'account_already_linked',
  'bank_unavailable',
  'risk_denied',
  // A restriction a risk decision attached, in force (details: restriction, until, limit).
  'restricted_charge_daily_cap',
  'restricted_no_outgoing_transfers',
  'restricted_withdrawals_to_charging_account_only',
  'restricted_merchants_only',
] as const;
export type WalletErrorCode = (typeof WALLET_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    wallet: WalletErrorCode;
  }
}
