/** banks' error codes (registry, links, link authorization), closed; statuses in http/errors.ts. Outcomes after the bank was asked are not errors but failed links (FailureCode, db/failure-codes.ts). */
export const BANKS_ERROR_CODES = [
  'unknown_bank',
  'unknown_branch',
  'unknown_bank_link',
  'invalid_account_number',
  'account_type_not_supported',
  'bank_not_participating',
  'linking_suspended',
  'auth_method_not_allowed',
  'authorization_in_progress',
  /** A withdrawal to a newly designated withdrawal account before its cooling-off ends (`details.until`). */
  'withdrawal_account_cooling_off',
  /** A withdrawal to a link that is not the wallet's withdrawal account (nor the previous one while cooling off). */
  'not_withdrawal_account',
] as const;
export type BanksErrorCode = (typeof BANKS_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    banks: BanksErrorCode;
  }
}
