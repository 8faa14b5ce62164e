import type { AccountType, BankDeclineCode } from '../db/index.ts';
import type { Yen } from '../money/index.ts';

/** The bank side of money movement. The sandbox implements it; a real bank connection would implement the same. */
export interface BankAccountRef {
  bankCode: string;
  branchCode: string;
  accountType: AccountType;
  accountNumber: string;
}

export interface BankMovement {
  account: BankAccountRef;
  amount: Yen;
  /** Unique per movement; the bank applies a reference at most once. */
  reference: string;
  /** What the holder's statement shows (half-width kana, e.g. "ｻｲﾌ" + reference). */
  descriptor: string;
}

export type BankOutcome = { outcome: 'succeeded' } | { outcome: 'declined'; code: BankDeclineCode };
/** `not_found` is a promise from the bank that the reference never applied and never will. */
export type InquiryOutcome = BankOutcome | { outcome: 'not_found' };

export interface BankGateway {
  /** Debits the holder's account (a charge). Throws BankTimeoutError when the outcome is unknown, BankUnavailableError when nothing was done. */
  debit(m: BankMovement): Promise<BankOutcome>;
  /** Credits the holder's account (a withdrawal). Same errors as debit. */
  credit(m: BankMovement): Promise<BankOutcome>;
  /** Asks what became of a reference; used to settle movements whose call timed out. */
  inquire(bankCode: string, reference: string): Promise<InquiryOutcome>;
}

/** The call went out but no answer came back: the movement may or may not have happened. */
export class BankTimeoutError extends Error {
  override readonly name = 'BankTimeoutError';
}
/** The bank refused the connection: nothing happened. */
export class BankUnavailableError extends Error {
  override readonly name = 'BankUnavailableError';
}

/** The statement descriptor for a movement: the operator's short name in half-width kana plus the reference tail. */
export const descriptorFor = (reference: string): string => `ｻｲﾌ ${reference.slice(-8).toUpperCase()}`;
