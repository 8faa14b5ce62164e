import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode } from '../platform/index.ts';

/** Every code's HTTP status, in one exhaustive table: adding a code to the union makes the compiler ask here. */
export const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_amount: 400,
  invalid_json: 400,
  payload_too_large: 413,
  not_found: 404,
  unknown_merchant: 404,
  unknown_bank_link: 404,
  unknown_bank: 404,
  unknown_branch: 404,
  invalid_account_number: 400,
  account_type_not_supported: 422,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  email_taken: 409,
  signup_conflict: 409,
  contact_unavailable: 409,
  phone_not_confirmed: 403,
  invalid_code: 400,
  too_many_attempts: 429,
  authorization_in_progress: 409,
  idempotency_key_required: 400,
  idempotency_key_reused: 422,
  idempotency_key_in_use: 409,
  limit_exceeded: 422,
  insufficient_funds: 422,
  self_transfer: 422,
  refund_exceeds_payment: 422,
  link_not_active: 409,
  wallet_frozen: 403,
  invalid_state: 409,
  security_hold: 422,
  recipient_unavailable: 422,
  bank_unavailable: 503,
  charging_suspended: 409,
  ledger_conflict: 409,
  internal_error: 500,
  mfa_required: 401,
  step_up_required: 403,
  verification_required: 403,
  already_verified: 409,
  invalid_otp: 400,
  mfa_not_enrolled: 409,
  passkey_failed: 400,
  bank_not_participating: 422,
  linking_suspended: 409,
  registration_changes_suspended: 409,
  auth_method_not_allowed: 409,
  account_already_linked: 409,
  name_mismatch: 422,
  bank_auth_failed: 422,
  authorization_expired: 409,
  bank_account_locked: 423,
  operator_forbidden: 403,
  reason_required: 400,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) } };
}

type Answer = [code: ErrorCode, message: string, details?: Record<string, unknown>];

/** Maps whatever a route threw to the API's error shape; unexpected errors are logged and answered as 500. */
export function handleError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const answer = classify(err, reply);
  const [code, message, details] = answer ?? ['internal_error', 'an unexpected error occurred; quote the request id when reporting it', { requestId: req.id }];
  if (!answer) req.log.error({ err }, 'unhandled error');
  if (code === 'too_many_attempts' && !reply.getHeader('retry-after')) reply.header('retry-after', String(details?.retryAfterSeconds ?? 60));
  void reply.code(STATUS[code]).send(errorBody(code, message, details));
}

function classify(err: FastifyError | Error, reply: FastifyReply): Answer | undefined {
  if (err instanceof AppError) return [err.code, err.message, err.details];
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({ path: `${v.instancePath}`.replace(/^\//, '').replaceAll('/', '.'), message: v.message }));
    // API.md: anything wrong with an amount is `invalid_amount`, whatever else is wrong.
    const amountIssue = issues.find((i) => i.path === 'amount' || i.path.endsWith('.amount'));
    if (amountIssue) return ['invalid_amount', `amount must be an integer number of yen from 1 to 9,999,999,999 (${amountIssue.message})`, { issues }];
    const where = err.validationContext ?? 'body';
    return ['invalid_request', `invalid ${where}: ${issues.map((i) => `${i.path || where} ${i.message}`).join('; ')}`, { issues }];
  }
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (fe.statusCode === 400 && err instanceof SyntaxError)) return ['invalid_json', 'the body is not valid JSON'];
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return ['payload_too_large', 'the body is larger than 64 KiB'];
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return ['invalid_request', 'send the body as application/json'];
  if (fe.statusCode === 429) return ['too_many_attempts', 'too many requests: slow down', { retryAfterSeconds: Number(reply.getHeader('retry-after') ?? 60) }];
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return ['invalid_request', err.message];
  return undefined;
}
