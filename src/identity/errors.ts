/** identity's error codes (users, sessions, passwords, MFA, step-up, eKYC), closed; statuses in http/errors.ts. */
export const IDENTITY_ERROR_CODES = [
  'invalid_credentials',
  'signup_conflict',
  'contact_unavailable',
  'phone_not_confirmed',
  'mfa_required',
  'mfa_not_enrolled',
  'step_up_required',
  'invalid_otp',
  'passkey_failed',
  'verification_required',
  'already_verified',
  'reason_required',
] as const;
export type IdentityErrorCode = (typeof IDENTITY_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    identity: IdentityErrorCode;
  }
}
