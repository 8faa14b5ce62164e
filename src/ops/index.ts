/**
 * ops: operators and their roles, operator sessions, the per-bank switches, and the hash-chained audit log.
 * Invariants: every operator action writes an audit record in the same transaction as the action; the audit log
 * is append-only (database trigger) and verifiable; operator passwords argon2id, session tokens stored hashed.
 * Never chain money movements: only operator actions and security events go through the audit chain.
 */
export { createOps, ROLES, type Ops, type Operator, type Role, type BankSwitches, type BankView } from './service.ts';
export { verifyAudit, toAuditRecord, type AuditRecord, type AuditEntry } from './audit.ts';
