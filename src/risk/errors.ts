/** risk's error codes (rules, rule sets, maker-checker), closed; statuses in http/errors.ts. */
export const RISK_ERROR_CODES = [
  /** A rule or rule set that does not compile, names an unknown field, is too long or deep, or is not boolean. */
  'rule_invalid',
  /** Maker-checker: the operator who wrote a rule-set version may not approve (publish) it. */
  'self_approval',
] as const;
export type RiskErrorCode = (typeof RISK_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    risk: RiskErrorCode;
  }
}
