/**
 * ops: operators and their roles, operator sessions (password + TOTP), operator actions on the per-bank switches
 * (through the banks area, which owns them), four-eyes approvals, and the hash-chained audit log.
 * Invariants: every operator action writes its audit record in the same transaction as the action; the audit log
 * is append-only (database trigger) and verifiable (`verifyAudit`); appends are serialised on one chain-head row;
 * operator passwords are argon2id, TOTP seeds sealed with the server key, session tokens stored only as SHA-256.
 * Never: chain money movements (only operator actions and security events go through the audit chain: chaining
 * every payment would make the ledger single-writer); import Fastify or HTTP types.
 *
 * For other areas and routes:
 * - Bank scope. The `bank` role is a participating bank's staff, with exactly one bank code (CHECK in the
 *   database). `bankScopeOf(operator)` is that code, or undefined for Saifu's staff: every admin read returning
 *   cases, links, charges, reports or incidents must filter by it (`bankCode = scope`) when it is defined, and
 *   `assertBankAccess(operator, bankCode)` refuses (403 operator_forbidden) one object of another bank. HTTP:
 *   `requireOperator(s)` with no roles admits staff only; a route that bank staff may use names 'bank' in its
 *   roles and then must scope. Every admin route is listed in test/ops-roles.test.ts's matrix.
 * - Four-eyes. An action that needs a second operator is registered once at wiring time (services.ts):
 *   `ops.approvals.registerApprovalHandler('wallet.return_balance', async (trx, payload, ctx) => {...})`. The
 *   requesting code calls `ops.approvals.requestApproval(trx?, {action, target, payload, requestedBy, reason})`
 *   and answers 202 with the approval; `decide` (POST /v1/admin/approvals/{id}/approve) runs the handler in the
 *   decision's transaction with `trx` only (no network calls), never for the requester (403 self_approval), once
 *   (409 invalid_state). Throw an AppError from the handler to refuse: the request becomes `failed`.
 */
export { createOps, type Ops, type LoginContext, type CreatedOperator } from './service.ts';
export { ROLES, STAFF_ROLES, MAX_REASON_LENGTH, type Role, type Operator } from './types.ts';
export { bankScopeOf, assertBankAccess } from './scope.ts';
export {
  APPROVAL_STATUSES,
  MAX_APPROVAL_TEXT,
  registerApprovalHandler,
  type Approval,
  type ApprovalContext,
  type ApprovalHandler,
  type ApprovalRequest,
  type ApprovalStatus,
  type Approvals,
} from './approvals.ts';
export {
  createAudit,
  verifyAudit,
  listAudit,
  toAuditRecord,
  type Audit,
  type AuditRecord,
  type AuditEntry,
  type AuditVerification,
} from './audit.ts';
export { OPS_ERROR_CODES, type OpsErrorCode } from './errors.ts';
