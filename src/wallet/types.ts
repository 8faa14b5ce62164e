import type { MoneyFailureCode, MoneyStatus } from '../db/index.ts';
import type { Yen } from '../money/index.ts';
import type { RestrictionType } from '../risk/index.ts';

export interface NextAction {
  type: 'confirm';
  methods: Array<'otp' | 'passkey'>;
  confirmUrl: string;
}

/** The risk decision a money object was created under (docs/api.md); objects from before the engine show allow/0/v0. */
export interface RiskVerdict {
  decision: 'allow' | 'challenge' | 'review' | 'deny';
  score: number;
  reasons: Array<{ rule: string; message: string }>;
  ruleSetVersion: number;
  /** Restrictions the decision attached, in force until `until` (ISO). */
  restrictions?: Array<{ type: string; limit?: number; until: string; message: string }>;
}

export interface Charge {
  id: string;
  object: 'charge';
  status: MoneyStatus;
  amount: Yen;
  bankLinkId: string;
  failureCode?: MoneyFailureCode;
  risk: RiskVerdict;
  /** For `requires_action`: what the client must do (confirm with a second factor). */
  nextAction?: NextAction;
  createdAt: string;
}

export interface Payment {
  id: string;
  object: 'payment';
  status: MoneyStatus;
  amount: Yen;
  amountRefunded: Yen;
  merchantId: string;
  description?: string;
  reference?: string;
  failureCode?: MoneyFailureCode;
  risk: RiskVerdict;
  /** For `requires_action` (the payer only): confirm with a second factor within 15 minutes. */
  nextAction?: NextAction;
  createdAt: string;
}

export interface WalletTransfer {
  id: string;
  object: 'transfer';
  status: MoneyStatus;
  amount: Yen;
  from: { userId: string };
  to: { userId: string };
  message?: string;
  failureCode?: MoneyFailureCode;
  risk: RiskVerdict;
  /** For `requires_action` (the sender only): confirm with a second factor within 15 minutes. */
  nextAction?: NextAction;
  createdAt: string;
}

export interface Withdrawal {
  id: string;
  object: 'withdrawal';
  status: MoneyStatus;
  amount: Yen;
  bankLinkId: string;
  failureCode?: MoneyFailureCode;
  risk: RiskVerdict;
  /** For `requires_action` (first withdrawal to a link): confirm with a second factor within 15 minutes. */
  nextAction?: NextAction;
  createdAt: string;
}

export interface Refund {
  id: string;
  object: 'refund';
  status: MoneyStatus;
  amount: Yen;
  paymentId: string;
  createdAt: string;
}

export interface WalletSummary {
  balance: Yen;
  pending: { incoming: Yen; outgoing: Yen };
  limits: {
    perCharge: Yen;
    monthly: { limit: Yen; used: Yen; remaining: Yen };
    newLinkDaily?: { limit: Yen; used: Yen; remaining: Yen };
    balanceCap: Yen;
  };
  /** Restrictions a risk decision put on the wallet or one of its links, in force now (soonest expiry first). */
  restrictions: RestrictionView[];
}

/** A restriction in force as the wallet holder reads it: `description` says it in plain words with the expiry (JST). */
export interface RestrictionView {
  type: RestrictionType;
  /** Yen a day, for charge_daily_cap. */
  limit?: number;
  /** ISO, UTC. */
  until: string;
  message: string;
  description: string;
  /** The link it binds (a daily charge cap); absent = the whole wallet. */
  bankLinkId?: string;
}

export interface TransactionItem {
  id: string;
  type: 'charge' | 'payment' | 'transfer_in' | 'transfer_out' | 'withdrawal' | 'refund';
  status: MoneyStatus;
  amount: Yen;
  /** Signed effect on the wallet once final: + in, − out. */
  direction: 'in' | 'out';
  counterparty?: string;
  createdAt: string;
}

/** Who is acting: enough of the user for money rules, resolved once per request by authentication. */
export interface Actor {
  id: string;
  phoneConfirmed: boolean;
  verification: 'unverified' | 'pending' | 'verified' | 'rejected';
  frozen: boolean;
  /** Until when outgoing transfers and withdrawals are held after a security change (ISO), if at all. */
  securityHoldUntil?: string | null;
  /** The session acting, when the actor came through a session: step-up state lives there. */
  session?: { id: string; elevatedUntil: string | null };
  /** When the user signed up (ISO): the account's age is a risk signal. */
  createdAt?: string;
  /** Contact details, when known (block lists). */
  email?: string;
  phone?: string;
  /** Where the request came from (`X-Device-Id`, the client's IP), when it came over HTTP: risk signals. */
  source?: { deviceId?: string; ip?: string };
}
