/**
 * Ledger error codes (a subset of the platform's closed union). Database constraint failures are translated
 * here so callers see a code, never a driver error.
 */
import { isUniqueViolation } from '../db/index.ts';
import { AppError } from '../platform/index.ts';

export type LedgerErrorCode = 'insufficient_funds' | 'invalid_state' | 'not_found' | 'ledger_conflict';

interface PgLikeError {
  code?: string;
  constraint?: string;
  message?: string;
}

const asPg = (e: unknown): PgLikeError => (typeof e === 'object' && e !== null ? (e as PgLikeError) : {});

/** Turns constraint violations the ledger expects into AppErrors; anything else passes through unchanged. */
export function translateLedgerError(e: unknown): unknown {
  const pg = asPg(e);
  if (pg.code === '23514' && (pg.constraint === 'balance_not_overdrawn' || (pg.message ?? '').includes('balance_not_overdrawn'))) {
    return new AppError('insufficient_funds', 'the account does not hold enough money for this movement');
  }
  // A second resolution of the same hold trips either the unique index or a pending column's >= 0 check,
  // whichever the database reaches first.
  if (isUniqueViolation(e, 'ledger_transfers_resolves') || (pg.code === '23514' && /_pending_check/.test(`${pg.constraint ?? ''} ${pg.message ?? ''}`))) {
    return new AppError('invalid_state', 'the pending transfer has already been posted or voided');
  }
  return e;
}
