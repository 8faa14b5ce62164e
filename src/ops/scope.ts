import { AppError } from '../platform/index.ts';
import type { Operator } from './types.ts';

/**
 * The bank an operator is confined to: its bank code for the `bank` role, undefined for Saifu's staff (who see
 * every bank). Every admin read that returns cases, links, charges, reports or incidents filters by it.
 */
export function bankScopeOf(operator: Pick<Operator, 'role' | 'bankCode'>): string | undefined {
  if (operator.role !== 'bank') return undefined;
  // The database guarantees a bank operator has a bank code; refusing here keeps a broken row from seeing all.
  if (!operator.bankCode) throw new AppError('operator_forbidden', 'this bank operator has no bank code');
  return operator.bankCode;
}

/** Refuses (403 operator_forbidden) a bank operator acting on another bank's data; staff pass. */
export function assertBankAccess(operator: Pick<Operator, 'role' | 'bankCode'>, bankCode: string | null | undefined) {
  const scope = bankScopeOf(operator);
  if (scope !== undefined && scope !== bankCode)
    throw new AppError('operator_forbidden', 'a bank operator sees only its own bank', { bankCode: scope });
}
