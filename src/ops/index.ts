/**
 * ops: operators and their roles, operator sessions, operator actions on the per-bank switches (through the
 * banks area, which owns them), and the hash-chained audit log.
 * Invariants: every operator action writes its audit record in the same transaction as the action; the audit log
 * is append-only (database trigger) and verifiable (`verifyAudit`); appends are serialised on one chain-head row;
 * operator passwords are argon2id and session tokens are stored only as SHA-256.
 * Never: chain money movements (only operator actions and security events go through the audit chain: chaining
 * every payment would make the ledger single-writer); import Fastify or HTTP types.
 */
export { createOps, type Ops, type LoginContext } from './service.ts';
export { ROLES, MAX_REASON_LENGTH, type Role, type Operator } from './types.ts';
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
