/** merchants' error codes (onboarding, keys, payment requests), closed; statuses in http/errors.ts. */
export const MERCHANTS_ERROR_CODES = [
  /** The merchant is suspended: it cannot create payment requests or receive payments (details: merchantId). */
  'merchant_suspended',
  /** The payout account's holder name (as the bank holds it) is not the merchant's legal kana name (details: score). */
  'payout_name_mismatch',
  /** The bank has no such payout account. */
  'payout_account_not_found',
  /** The payment request was paid already (details: paymentId). */
  'payment_request_paid',
  /** The payment request's expiresAt has passed (details: expiresAt). */
  'payment_request_expired',
  /** The merchant cancelled the payment request. */
  'payment_request_cancelled',
] as const;
export type MerchantsErrorCode = (typeof MERCHANTS_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    merchants: MerchantsErrorCode;
  }
}
