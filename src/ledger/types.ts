import type { Yen } from '../money/index.ts';

export type AccountKind = 'wallet' | 'merchant' | 'bank_clearing' | 'compensation' | 'fee' | 'suspense';

export interface AccountSpec {
  kind: AccountKind;
  ownerId?: string;
  bankCode?: string;
}

export interface Balance {
  debitsPosted: Yen;
  creditsPosted: Yen;
  debitsPending: Yen;
  creditsPending: Yen;
}

/** What the owner of a credit-normal account (a wallet, a merchant) sees. */
export interface Available {
  /** Posted credits less posted debits less outgoing holds: what can be spent now. */
  available: Yen;
  /** Incoming money held (charges in flight). */
  pendingIncoming: Yen;
  /** Outgoing money held (withdrawals in flight). */
  pendingOutgoing: Yen;
}

export interface TransferRequest {
  debitAccountId: string;
  creditAccountId: string;
  amount: Yen;
  /** What the movement is for: 'charge', 'payment', 'transfer', 'withdrawal', 'refund', 'reversal', … */
  code: string;
  /** The money object this movement belongs to (chg_…, pay_…). */
  refId?: string;
  /** For a correction: the transfer this one reverses. */
  reversesId?: string;
}

export interface Transfer {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: Yen;
  phase: 'single' | 'pending' | 'post' | 'void';
  pendingId: string | null;
  reversesId: string | null;
  code: string;
  refId: string | null;
  createdAt: Date;
}

export interface Violation {
  check: 'transfer_balanced' | 'resolution_matches' | 'account_balance' | 'ledger_sum_zero' | 'wallet_not_negative';
  message: string;
  accountId?: string;
  transferId?: string;
}
