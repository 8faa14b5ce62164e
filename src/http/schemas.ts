import { z } from 'zod';
import { LINK_FAILURE_CODES, MONEY_FAILURE_CODES } from '../db/index.ts';
import { amount, InvalidYenError, MAX_AMOUNT, type Yen } from '../money/index.ts';
import { AppError } from '../platform/index.ts';
import { RESTRICTION_TYPES } from '../risk/index.ts';
import { codesForStatus } from './errors.ts';

/** Integer yen, 1 … 9,999,999,999; strings, fractions and zero are refused (docs/api.md). */
export const Amount = z.number().int().min(1).max(MAX_AMOUNT).describe('Integer yen, 1 … 9,999,999,999');
export const Id = (prefix: string) => z.string().min(1).max(64).describe(`An id (${prefix}_…)`);
export const Timestamp = z.string().describe('ISO 8601, UTC');
export const MoneyStatus = z.enum(['succeeded', 'pending', 'requires_action', 'in_review', 'failed', 'reversed']);

/**
 * The error body for one HTTP status: `error.code` is an enum of every code the HTTP table (http/errors.ts) maps
 * to that status, so generated clients get a closed set per response. Broad but always true: the response
 * serializer checks bodies against it, so a narrower list that missed a code would turn an answer into a 500.
 */
export function errorResponse(status: number) {
  const codes = codesForStatus(status);
  const [first, ...rest] = codes;
  if (first === undefined)
    throw new Error(`no error code maps to HTTP ${status}: add one in http/errors.ts or drop the status`);
  return z
    .object({
      error: z.object({
        code: z.enum([first, ...rest]).describe(`Stable machine-readable code (the codes answered with ${status})`),
        message: z.string(),
        details: z.record(z.string(), z.unknown()).optional(),
      }),
    })
    .describe(`Error (${status})`);
}
export type ErrorResponse = ReturnType<typeof errorResponse>;

const byStatus = new Map<number, ErrorResponse>();
/** Error responses for a route's statuses: `...S.errors(400, 401, 404)` in `response`. */
export const errors = (...statuses: number[]): Record<number, ErrorResponse> =>
  Object.fromEntries(
    statuses.map((s) => {
      if (!byStatus.has(s)) byStatus.set(s, errorResponse(s));
      return [s, byStatus.get(s)!];
    }),
  );

/** An amount from input as `Yen`; a value the schema let through but yen refuses is still 400 `invalid_amount`. */
export function inputAmount(value: number): Yen {
  try {
    return amount(value);
  } catch (e) {
    if (e instanceof InvalidYenError)
      throw new AppError('invalid_amount', 'amount must be an integer number of yen from 1 to 9,999,999,999', {
        amount: value,
      });
    throw e;
  }
}

/** Why a money object failed (stored after the bank was called, or when a second factor never came). */
export const MoneyFailureCode = z
  .enum(MONEY_FAILURE_CODES)
  .describe('Why the object failed; present only when status is `failed`');
/** Why a bank link failed. */
export const LinkFailureCode = z
  .enum(LINK_FAILURE_CODES)
  .describe('Why the link failed; present only when status is `failed`');

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Required: 1–255 characters; same key + same body replays the first answer'),
});

/** A restriction a risk decision attached (docs/api.md), in force until `until`. */
export const RestrictionAttached = z.object({
  type: z.string().describe(RESTRICTION_TYPES.join(' | ')),
  limit: z.number().int().optional().describe('Yen a day, for charge_daily_cap'),
  until: Timestamp,
  message: z.string(),
});
/** A restriction in force, as GET /v1/wallet and GET /v1/bank-links/{id} show it. */
export const RestrictionInForce = RestrictionAttached.extend({
  description: z.string().describe('In plain words, with the expiry in Asia/Tokyo time'),
  bankLinkId: z.string().optional().describe('The link it binds; absent = the whole wallet'),
});
export const Risk = z.object({
  decision: z.enum(['allow', 'challenge', 'review', 'deny']),
  score: z.number(),
  reasons: z.array(z.object({ rule: z.string(), message: z.string() })),
  ruleSetVersion: z.number().int(),
  restrictions: z.array(RestrictionAttached).optional(),
});

export const NextAction = z
  .object({ type: z.literal('confirm'), methods: z.array(z.enum(['otp', 'passkey'])), confirmUrl: z.string() })
  .optional()
  .describe('For requires_action: confirm with a second factor (POST confirmUrl) within 15 minutes');
export const Charge = z.object({
  id: z.string(),
  object: z.literal('charge'),
  status: MoneyStatus,
  amount: z.number().int(),
  bankLinkId: z.string(),
  failureCode: MoneyFailureCode.optional(),
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
  failureCode: MoneyFailureCode.optional(),
  risk: Risk,
  nextAction: NextAction,
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
  failureCode: MoneyFailureCode.optional(),
  risk: Risk,
  nextAction: NextAction,
  createdAt: Timestamp,
});
export const Withdrawal = z.object({
  id: z.string(),
  object: z.literal('withdrawal'),
  status: MoneyStatus,
  amount: z.number().int(),
  bankLinkId: z.string(),
  failureCode: MoneyFailureCode.optional(),
  risk: Risk,
  nextAction: NextAction,
  createdAt: Timestamp,
});
export const Refund = z.object({
  id: z.string(),
  object: z.literal('refund'),
  status: MoneyStatus,
  amount: z.number().int(),
  paymentId: z.string(),
  createdAt: Timestamp,
});
export const LimitUse = z.object({ limit: z.number().int(), used: z.number().int(), remaining: z.number().int() });
export const Wallet = z.object({
  balance: z.number().int().describe('What can be spent now: posted money less outgoing holds'),
  pending: z.object({ incoming: z.number().int(), outgoing: z.number().int() }),
  limits: z.object({
    perCharge: z.number().int(),
    monthly: LimitUse,
    newLinkDaily: LimitUse.optional(),
    balanceCap: z.number().int(),
  }),
  restrictions: z
    .array(RestrictionInForce)
    .describe('What a risk decision restricted on this wallet or its links, in force now, soonest expiry first'),
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
