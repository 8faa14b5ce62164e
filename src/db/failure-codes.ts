/**
 * Why a stored object failed: the `failure_code` of charges, withdrawals, wallet transfers and bank links, and the
 * API's `failureCode`. A closed vocabulary beside the error codes (docs/api.md "Errors versus failed objects": a check
 * that fails before the bank is called is an error and stores nothing; what fails after is a stored `failed`
 * object with one of these). Published as enums in the OpenAPI (http/schemas.ts). Lives in db because the
 * columns are typed with it and every area that writes them sits above db.
 */

/** What a bank may answer when it refuses a debit or credit (BankGateway's decline `code`). */
export const BANK_DECLINE_CODES = [
  'declined_by_bank',
  'account_not_found',
  'account_locked',
  'account_type_not_supported',
  'insufficient_funds',
  /** An inquiry cancelled a movement whose call had timed out: it never applied. */
  'cancelled_by_inquiry',
] as const;
export type BankDeclineCode = (typeof BANK_DECLINE_CODES)[number];

/** Charges, withdrawals and wallet transfers. */
export const MONEY_FAILURE_CODES = [
  ...BANK_DECLINE_CODES,
  /** The bank refused the connection: nothing moved. */
  'bank_unavailable',
  /** The call timed out and the bank later said the movement never applied. */
  'bank_timeout',
  /** A second factor was asked for and not given within 15 minutes. */
  'confirmation_expired',
  /** Held for review by a risk decision and rejected by an analyst: the hold was voided. */
  'risk_rejected',
] as const;
export type MoneyFailureCode = (typeof MONEY_FAILURE_CODES)[number];

/** Bank links. */
export const LINK_FAILURE_CODES = [
  /** The authorization ran out of time: by the clock, the bank's one-time code, or the holder's approval. */
  'authorization_expired',
  /** The bank did not authenticate its customer (wrong PINs, denied approval, no holder). */
  'bank_auth_failed',
  /** The bank locked the account after wrong PINs. */
  'bank_account_locked',
  /** The last attempt was a wrong one-time code. */
  'invalid_otp',
  /** The holder's name or birth date does not match the verified identity (`details.reason`). */
  'name_mismatch',
  /** The bank account already serves as many wallets as it may. */
  'account_already_linked',
  /** The user reported the link as not theirs while it was being authorized. */
  'reported_unauthorized',
  /** Refused by a risk decision after the bank had authenticated its customer. */
  'risk_denied',
  /** Held for review by a risk decision and rejected by an analyst. */
  'review_rejected',
] as const;
export type LinkFailureCode = (typeof LINK_FAILURE_CODES)[number];

export const FAILURE_CODES = [...MONEY_FAILURE_CODES, ...LINK_FAILURE_CODES] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];
