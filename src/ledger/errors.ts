/**
 * Ledger error codes: its own closed list (it also throws the platform's invalid_state and not_found). Database
 * constraint failures are translated here so callers see a code, never a driver error.
 */
import { isUniqueViolation } from '../db/index.ts';
import { AppError } from '../platform/index.ts';

export const LEDGER_ERROR_CODES = ['insufficient_funds'] as const;
export type LedgerErrorCode = (typeof LEDGER_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    ledger: LedgerErrorCode;
  }
}

interface PgLikeError {
  code?: string;
  constraint?: string;
  message?: string;
}

const asPg = (e: unknown): PgLikeError => (typeof e === 'object' && e !== null ? (e as PgLikeError) : {});

/** Turns constraint violations the ledger expects into AppErrors; anything else passes through unchanged. */
export function translateLedgerError(e: unknown): unknown {
  const pg = asPg(e);
  if (
    pg.code === '23514' &&
    (pg.constraint === 'balance_not_overdrawn' || (pg.message ?? '').includes('balance_not_overdrawn'))
  ) {
    return new AppError('insufficient_funds', 'the account does not hold enough money for this movement');
  }
  // A second resolution of the same hold trips either the unique index or a pending column's >= 0 check,
  // whichever the database reaches first.
  if (
    isUniqueViolation(e, 'ledger_transfers_resolves') ||
    (pg.code === '23514' && /_pending_check/.test(`${pg.constraint ?? ''} ${pg.message ?? ''}`))
  ) {
    return new AppError('invalid_state', 'the pending transfer has already been posted or voided');
  }
  return e;
}
