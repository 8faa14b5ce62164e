/**
 * The one error type. Domain code throws `AppError` with a stable code; `http/` maps codes to statuses in one
 * exhaustive table, so adding a code makes the compiler ask for its status.
 */
export const ERROR_CODES = [
  // input
  'invalid_request',
  'invalid_amount',
  'invalid_json',
  'payload_too_large',
  'not_found',
  'unknown_merchant',
  'unknown_bank_link',
  'unknown_bank',
  'unknown_branch',
  'invalid_account_number',
  'account_type_not_supported',
  // auth
  'unauthorized',
  'invalid_credentials',
  'forbidden',
  'email_taken',
  /** Sign-up refused because the email or the phone is in use: one code for both, so it names neither. */
  'signup_conflict',
  /** A new email or phone for an existing account is in use elsewhere (says no more than sign-up does). */
  'contact_unavailable',
  'phone_not_confirmed',
  'invalid_code',
  'too_many_attempts',
  'authorization_in_progress',
  // idempotency
  'idempotency_key_required',
  'idempotency_key_reused',
  'idempotency_key_in_use',
  // money rules
  'limit_exceeded',
  'insufficient_funds',
  'self_transfer',
  'refund_exceeds_payment',
  'link_not_active',
  'wallet_frozen',
  'invalid_state',
  'security_hold',
  'recipient_unavailable',
  // banks
  'bank_unavailable',
  'charging_suspended',
  // ledger internals surfaced as conflicts
  'ledger_conflict',
  'internal_error',
  // identity (issue: identity, eKYC and linking)
  'mfa_required',
  'step_up_required',
  'verification_required',
  'already_verified',
  'invalid_otp',
  'mfa_not_enrolled',
  'passkey_failed',
  // linking
  'bank_not_participating',
  'linking_suspended',
  'registration_changes_suspended',
  'auth_method_not_allowed',
  'account_already_linked',
  'name_mismatch',
  'bank_auth_failed',
  'authorization_expired',
  'bank_account_locked',
  // operators
  'operator_forbidden',
  'reason_required',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
