/**
 * sandbox's error codes: only the simulated clock's. The simulated banks and eKYC provider answer through their
 * ports (decline codes, rejection reasons); the other sandbox routes throw the platform's invalid_request,
 * invalid_state, not_found and internal_error. Statuses in http/errors.ts.
 */
export const SANDBOX_ERROR_CODES = [
  /** POST /sandbox/clock on a server that runs the system clock (start it with SAIFU_SANDBOX_CLOCK=1). */
  'clock_not_manual',
  /** The simulated clock only moves forward: a `to` earlier than its now. */
  'clock_backwards',
] as const;
export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    sandbox: SandboxErrorCode;
  }
}
