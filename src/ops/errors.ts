/** ops' error codes (operators, roles, switches), closed; statuses in http/errors.ts. */
export const OPS_ERROR_CODES = ['email_taken', 'operator_forbidden'] as const;
export type OpsErrorCode = (typeof OPS_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    ops: OpsErrorCode;
  }
}
