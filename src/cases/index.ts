/**
 * cases: the review queue and case management. Opened by holders' "this wasn't me" reports, by security
 * detections (reverse brute force) and risk reviews; worked by operators (assign, investigate, resolve or
 * dismiss, each with a note) and analyst actions (approve or reject the held money, freeze or unfreeze the wallet,
 * block, label fraud / not fraud). A fraud label (an analyst's, or a holder's "this wasn't me") spreads one hop to
 * the watch list. Owns cases and case_events.
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
  CASE_ACTIONS,
  UNFREEZE_APPROVAL,
  type CaseAction,
  type CaseActionInput,
  type CaseActionResult,
  type CaseView,
  type FraudLabel,
  type ReviewEvent,
  type RiskReviewView,
  type UnauthorizedReport,
} from './types.ts';
