/** attempts' error code: a counted budget is spent (429 with Retry-After); statuses in http/errors.ts. */
export const ATTEMPTS_ERROR_CODES = ['too_many_attempts'] as const;
export type AttemptsErrorCode = (typeof ATTEMPTS_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    attempts: AttemptsErrorCode;
  }
}
