/**
 * banks/names owns one question: is the bank's account-holder name the wallet holder's verified kana name?
 * It brings both to the canonical Zengin form (normalize.ts; the rules are listed in README.md beside this
 * file) and scores the pair 0–100 (match.ts).
 *
 * Invariants: pure functions only (no I/O, no clock, no randomness, no dependencies); normalising is
 * idempotent; equal canonical forms score 100 and nothing else does; every honest variant scores 95+ and a
 * differing name part keeps the score under DEFAULT_NAME_MATCH_THRESHOLD.
 */
export {
  compareKey,
  compareKeyOfNormalized,
  ENTITY_ABBREVIATIONS,
  isValidZenginName,
  LONG_VOWEL,
  normalizeZenginName,
  ZENGIN_ACCOUNT_NAME_MAX_LENGTH,
  ZENGIN_REMITTER_NAME_MAX_LENGTH,
} from './normalize.ts';
export type { CompareKeyOptions, ZenginNameRules } from './normalize.ts';
export { DEFAULT_NAME_MATCH_THRESHOLD, levenshtein, scoreNameMatch } from './match.ts';
export type { NameMatch, NameMatchReason, WalletName } from './match.ts';
