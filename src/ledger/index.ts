/**
 * ledger: double-entry accounts and transfers, two-phase holds, corrections, verification.
 * The only writer of balances. Invariants (held by database constraints, not only by this code): every
 * transfer moves 1 … 9,999,999,999 yen from one account to another; transfers are immutable (a correction is
 * a new, linked transfer); a hold is posted or voided at most once; a wallet never goes below zero.
 * Never call a bank or any network from inside a ledger transaction.
 */
export { createLedger, type Ledger, type LedgerDeps } from './service.ts';
export { verifyLedger } from './verify.ts';
export type * from './types.ts';
export type { Alongside } from './repository.ts';
export { LEDGER_ERROR_CODES, type LedgerErrorCode } from './errors.ts';
