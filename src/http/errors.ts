import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { NoResultError } from 'kysely';
import { ATTEMPTS_ERROR_CODES } from '../attempts/index.ts';
import { BANKS_ERROR_CODES } from '../banks/index.ts';
import { IDENTITY_ERROR_CODES } from '../identity/index.ts';
import { LEDGER_ERROR_CODES } from '../ledger/index.ts';
import { MERCHANTS_ERROR_CODES } from '../merchants/index.ts';
import { InvalidYenError } from '../money/index.ts';
import { OPS_ERROR_CODES } from '../ops/index.ts';
import { RISK_ERROR_CODES } from '../risk/index.ts';
import { AppError, type ErrorCode, PLATFORM_ERROR_CODES } from '../platform/index.ts';
import { SANDBOX_ERROR_CODES } from '../sandbox/index.ts';
import { WALLET_ERROR_CODES } from '../wallet/index.ts';

/** Transport codes: what the HTTP edge itself refuses (auth, JSON, size, idempotency, amounts in input). */
export const HTTP_ERROR_CODES = [
  'invalid_json',
  'payload_too_large',
  /** Anything wrong with an amount in the input (docs/api.md), whatever else is wrong. */
  'invalid_amount',
  'unauthorized',
  'forbidden',
  'idempotency_key_required',
  'idempotency_key_reused',
  'idempotency_key_in_use',
] as const;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

declare module '../platform/errors.ts' {
  interface ErrorCodeRegistry {
    http: HttpErrorCode;
  }
}

/** Every area's closed list, in dependency order: the whole vocabulary of the API, each code once. */
export const ERROR_CODES_BY_AREA = {
  platform: PLATFORM_ERROR_CODES,
  attempts: ATTEMPTS_ERROR_CODES,
  ledger: LEDGER_ERROR_CODES,
  identity: IDENTITY_ERROR_CODES,
  banks: BANKS_ERROR_CODES,
  wallet: WALLET_ERROR_CODES,
  merchants: MERCHANTS_ERROR_CODES,
  risk: RISK_ERROR_CODES,
  sandbox: SANDBOX_ERROR_CODES,
  ops: OPS_ERROR_CODES,
  http: HTTP_ERROR_CODES,
} as const;
type Listed = (typeof ERROR_CODES_BY_AREA)[keyof typeof ERROR_CODES_BY_AREA][number];
/** Compile-time: every registered code is listed above and nothing else is (an area registered but not imported fails here). */
const sameCodes: [ErrorCode] extends [Listed] ? ([Listed] extends [ErrorCode] ? true : never) : never = true;
void sameCodes;

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ERROR_CODES_BY_AREA).flat();

/** Every code's HTTP status, in one exhaustive table: adding a code to any area's list makes the compiler ask here. */
export const STATUS: Record<ErrorCode, number> = {
  // platform
  invalid_request: 400,
  not_found: 404,
  invalid_state: 409,
  internal_error: 500,
  // attempts
  too_many_attempts: 429,
  // ledger
  insufficient_funds: 422,
  // identity
  invalid_credentials: 401,
  signup_conflict: 409,
  contact_unavailable: 409,
  phone_not_confirmed: 403,
  mfa_required: 401,
  mfa_not_enrolled: 409,
  step_up_required: 403,
  invalid_otp: 400,
  passkey_failed: 400,
  verification_required: 403,
  already_verified: 409,
  reason_required: 400,
  // banks
  unknown_bank: 404,
  unknown_branch: 404,
  unknown_bank_link: 404,
  invalid_account_number: 400,
  account_type_not_supported: 422,
  bank_not_participating: 422,
  linking_suspended: 409,
  auth_method_not_allowed: 409,
  authorization_in_progress: 409,
  withdrawal_account_cooling_off: 422,
  not_withdrawal_account: 422,
  // wallet
  unknown_merchant: 404,
  limit_exceeded: 422,
  self_transfer: 422,
  refund_exceeds_payment: 422,
  link_not_active: 409,
  link_withdrawals_only: 422,
  wallet_frozen: 403,
  security_hold: 422,
  recipient_unavailable: 422,
  charging_suspended: 409,
  registration_changes_suspended: 409,
  account_already_linked: 409,
  bank_unavailable: 503,
  risk_denied: 422,
  restricted_charge_daily_cap: 422,
  restricted_no_outgoing_transfers: 422,
  restricted_withdrawals_to_charging_account_only: 422,
  restricted_merchants_only: 422,
  // merchants
  merchant_suspended: 403,
  payout_name_mismatch: 422,
  payout_account_not_found: 422,
  payment_request_paid: 409,
  payment_request_expired: 409,
  payment_request_cancelled: 409,
  // risk
  rule_invalid: 422,
  self_approval: 403,
  // sandbox
  clock_not_manual: 409,
  clock_backwards: 422,
  // ops
  email_taken: 409,
  operator_forbidden: 403,
  // http
  invalid_json: 400,
  payload_too_large: 413,
  invalid_amount: 400,
  unauthorized: 401,
  forbidden: 403,
  idempotency_key_required: 400,
  idempotency_key_reused: 422,
  idempotency_key_in_use: 409,
};

/** The codes a status can carry, for the OpenAPI error enums. */
export const codesForStatus = (status: number): ErrorCode[] => ERROR_CODES.filter((c) => STATUS[c] === status);

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) } };
}

type Answer = [code: ErrorCode, message: string, details?: Record<string, unknown>];

/**
 * Maps whatever a route threw to the API's error shape. Anything untyped is a broken invariant or an unexpected
 * failure: a row that must exist and does not (Kysely's NoResultError from executeTakeFirstOrThrow), a stored
 * amount that is not valid yen (InvalidYenError), a driver error. It is logged with the route and request id and
 * answered 500 `internal_error` with the request id, never a 404 that would hide it.
 */
/** Where a session gets a fresh second factor (POST with {otp}, {smsCode} or a passkey assertion). */
const STEP_UP_URL = '/v1/sessions/current/step-up';

export function handleError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const answer = classify(err, reply);
  const [code, message, details] = answer ?? [
    'internal_error',
    'an unexpected error occurred; quote the request id when reporting it',
    { requestId: req.id },
  ];
  if (code === 'internal_error') {
    const invariant =
      err instanceof NoResultError
        ? 'a row that must exist is missing'
        : err instanceof InvalidYenError
          ? 'a stored amount is not valid yen'
          : undefined;
    req.log.error(
      {
        err,
        route: `${req.method} ${req.routeOptions?.url ?? req.url}`,
        requestId: req.id,
        ...(invariant ? { invariant } : {}),
      },
      invariant ? `broken invariant: ${invariant}` : 'unhandled error',
    );
  }
  if (code === 'too_many_attempts' && !reply.getHeader('retry-after'))
    reply.header('retry-after', String(details?.retryAfterSeconds ?? 60));
  // The domain says a fresh factor is needed; where to get one is the HTTP layer's business.
  const withLinks = code === 'step_up_required' ? { ...details, stepUp: STEP_UP_URL } : details;
  void reply.code(STATUS[code]).send(errorBody(code, message, withLinks));
}

function classify(err: FastifyError | Error, reply: FastifyReply): Answer | undefined {
  if (err instanceof AppError) return [err.code, err.message, err.details];
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({
      path: `${v.instancePath}`.replace(/^\//, '').replaceAll('/', '.'),
      message: v.message,
    }));
    // docs/api.md: anything wrong with an amount is `invalid_amount`, whatever else is wrong.
    const amountIssue = issues.find((i) => i.path === 'amount' || i.path.endsWith('.amount'));
    if (amountIssue)
      return [
        'invalid_amount',
        `amount must be an integer number of yen from 1 to 9,999,999,999 (${amountIssue.message})`,
        { issues },
      ];
    const where = err.validationContext ?? 'body';
    return [
      'invalid_request',
      `invalid ${where}: ${issues.map((i) => `${i.path || where} ${i.message}`).join('; ')}`,
      { issues },
    ];
  }
  const fe = err as FastifyError;
  if (
    fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    (fe.statusCode === 400 && err instanceof SyntaxError)
  )
    return ['invalid_json', 'the body is not valid JSON'];
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return ['payload_too_large', 'the body is larger than 64 KiB'];
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return ['invalid_request', 'send the body as application/json'];
  if (fe.statusCode === 429)
    return [
      'too_many_attempts',
      'too many requests: slow down',
      { retryAfterSeconds: Number(reply.getHeader('retry-after') ?? 60) },
    ];
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return ['invalid_request', err.message];
  return undefined;
}
