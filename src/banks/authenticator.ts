import type { BankAccountRef } from './gateway.ts';

/** How a bank authenticates its own customer when they link an account to a wallet. */
export type AuthMethod = 'otp' | 'app' | 'legacy_pin';

export type PinCheck =
  | { ok: true }
  /** Wrong PIN or birth date (the bank does not say which), or no such account: the same answer for all. */
  | { ok: false; reason: 'rejected'; attemptsLeft: number }
  | { ok: false; reason: 'locked' };

export type CodeCheck = 'ok' | 'wrong' | 'expired' | 'exhausted';
export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired';

export interface Holder {
  nameKana: string;
  birthDate: string;
}

/**
 * The bank side of linking. A real bank connection implements the same port. Every method that can fail on
 * guessing (PIN, one-time code) keeps its own counters bank-side: the bank locks an account after 3 wrong PINs.
 */
export interface BankAuthenticator {
  /** Checks the cash-card PIN (and, where the bank asks for it, the birth date). */
  checkPin(account: BankAccountRef, pin: string, birthDate?: string): Promise<PinCheck>;
  /** Sends a one-time code by SMS to the phone the bank has on file for the holder — never to the wallet user. */
  sendOtp(account: BankAccountRef, reference: string, operatorName: string): Promise<void>;
  checkOtp(reference: string, code: string): Promise<CodeCheck>;
  /** Asks the holder, in the bank's app, to approve; the approval id goes to the holder only. */
  requestApproval(account: BankAccountRef, reference: string, operatorName: string): Promise<void>;
  approvalState(reference: string): Promise<ApprovalState>;
  /** The holder's name (half-width kana, Zengin form) and birth date, released only after authentication. */
  holder(account: BankAccountRef): Promise<Holder | undefined>;
  /** A notice from the bank to the holder (link made, failed attempt). */
  notifyHolder(account: BankAccountRef, body: string): Promise<void>;
}
