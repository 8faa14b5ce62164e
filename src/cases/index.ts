/**
 * cases: the review queue and case management. Opened by holders' "this wasn't me" reports, by security
 * detections (reverse brute force) and, next, by risk reviews; worked by operators (assign, investigate,
 * resolve or dismiss, each with a note). Owns cases and case_events.
 * Invariants: kind and status are closed sets (CHECK); every transition is recorded with who and why, and audited
 * in the same transaction; "this wasn't me" freezes links, holds charges and freezes wallets in ONE transaction,
 * through the owning areas' functions (banks, wallet, identity), never by writing their tables.
 */
export { createCases, type Cases, type CaseDeps } from './service.ts';
export {
  CASE_KINDS,
  CASE_STATUSES,
  CASE_TRANSITIONS,
  type CaseKind,
  type CaseStatus,
  type CaseView,
  type UnauthorizedReport,
} from './types.ts';
