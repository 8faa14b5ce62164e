/**
 * sandbox's error codes: none of its own. The simulated banks and eKYC provider answer through their ports
 * (decline codes, rejection reasons); the sandbox routes throw only the platform's invalid_request, invalid_state,
 * not_found and internal_error. Listed so every area has its errors.ts and http/errors.ts imports them all.
 */
export const SANDBOX_ERROR_CODES = [] as const;
export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];
