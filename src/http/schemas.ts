import { z } from 'zod';
import { MAX_AMOUNT } from '../money/index.ts';

/** Integer yen, 1 … 9,999,999,999; strings, fractions and zero are refused (API.md). */
export const Amount = z.number().int().min(1).max(MAX_AMOUNT).describe('Integer yen, 1 … 9,999,999,999');
export const Id = (prefix: string) => z.string().min(1).max(64).describe(`An id (${prefix}_…)`);
export const Timestamp = z.string().describe('ISO 8601, UTC');
export const MoneyStatus = z.enum(['succeeded', 'pending', 'requires_action', 'in_review', 'failed', 'reversed']);

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .describe('Error');

export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ErrorResponse])) as Record<number, typeof ErrorResponse>;

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().describe('Required: 1–255 characters; same key + same body replays the first answer'),
});

export const Risk = z.object({ decision: z.enum(['allow', 'challenge', 'review', 'deny']), score: z.number(), reasons: z.array(z.string()) });

export const NextAction = z.object({ type: z.literal('confirm'), methods: z.array(z.enum(['otp', 'passkey'])), confirmUrl: z.string() }).optional().describe('For requires_action: confirm with a second factor (POST confirmUrl) within 15 minutes');
export const Charge = z.object({
  id: z.string(),
  object: z.literal('charge'),
  status: MoneyStatus,
  amount: z.number().int(),
  bankLinkId: z.string(),
  failureCode: z.string().optional(),
  risk: Risk,
  nextAction: NextAction,
  createdAt: Timestamp,
});
export const Payment = z.object({
  id: z.string(),
  object: z.literal('payment'),
  status: MoneyStatus,
  amount: z.number().int(),
  amountRefunded: z.number().int(),
  merchantId: z.string(),
  description: z.string().optional(),
  reference: z.string().optional(),
  createdAt: Timestamp,
});
export const Transfer = z.object({
  id: z.string(),
  object: z.literal('transfer'),
  status: MoneyStatus,
  amount: z.number().int(),
  from: z.object({ userId: z.string() }),
  to: z.object({ userId: z.string() }),
  message: z.string().optional(),
  failureCode: z.string().optional(),
  nextAction: NextAction,
  createdAt: Timestamp,
});
export const Withdrawal = z.object({
  id: z.string(),
  object: z.literal('withdrawal'),
  status: MoneyStatus,
  amount: z.number().int(),
  bankLinkId: z.string(),
  failureCode: z.string().optional(),
  nextAction: NextAction,
  createdAt: Timestamp,
});
export const Refund = z.object({ id: z.string(), object: z.literal('refund'), status: MoneyStatus, amount: z.number().int(), paymentId: z.string(), createdAt: Timestamp });
export const LimitUse = z.object({ limit: z.number().int(), used: z.number().int(), remaining: z.number().int() });
export const Wallet = z.object({
  balance: z.number().int().describe('What can be spent now: posted money less outgoing holds'),
  pending: z.object({ incoming: z.number().int(), outgoing: z.number().int() }),
  limits: z.object({ perCharge: z.number().int(), monthly: LimitUse, newLinkDaily: LimitUse.optional(), balanceCap: z.number().int() }),
});
export const TransactionItem = z.object({
  id: z.string(),
  type: z.enum(['charge', 'payment', 'transfer_in', 'transfer_out', 'withdrawal', 'refund']),
  status: MoneyStatus,
  amount: z.number().int(),
  direction: z.enum(['in', 'out']),
  counterparty: z.string().optional(),
  createdAt: Timestamp,
});
export const User = z.object({
  id: z.string(),
  email: z.string(),
  phone: z.string(),
  phoneConfirmed: z.boolean(),
  verification: z.enum(['unverified', 'pending', 'verified', 'rejected']),
  frozen: z.boolean(),
  createdAt: Timestamp,
});
export const BankLink = z.object({
  id: z.string(),
  status: z.enum(['pending_authorization', 'active', 'failed', 'frozen', 'unlinked']),
  bankCode: z.string(),
  branchCode: z.string(),
  accountType: z.enum(['ordinary', 'current', 'savings']),
  accountNumberLast4: z.string(),
  createdAt: Timestamp,
  activatedAt: Timestamp.optional(),
  limits: z.object({ daily: LimitUse.optional(), coolingOffUntil: Timestamp.optional() }).optional(),
});
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: z.string().min(1).max(64).optional(),
});
