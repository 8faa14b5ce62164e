/**
 * attempts: the one place where guesses and rate-limited actions are counted (bank PINs per value, device and
 * IP; link authorizations; SMS codes; TOTP and passkey step-ups; passwords of users and operators; money
 * confirmations; lookups that could enumerate users). Owns the table attempt_counters.
 *
 * Invariant: an attempt is consumed atomically BEFORE its secret is evaluated, so at most `max` evaluations
 * happen per window however many requests arrive at once; excess requests get 429 `too_many_attempts`.
 * Never read a count and then write it: that is the bug this area exists to prevent.
 */
export { AttemptRefused, createAttemptCounter, type AttemptCounter, type Budget, type Ticket } from './counter.ts';
export { counterKey, smsSendBudget } from './keys.ts';
export { ATTEMPTS_ERROR_CODES, type AttemptsErrorCode } from './errors.ts';
