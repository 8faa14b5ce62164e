/**
 * ops: operators and their roles, operator sessions, the per-bank switches, and the hash-chained audit log.
 * Invariants: every operator action writes its audit record in the same transaction as the action; the audit log
 * is append-only (database trigger) and verifiable (`verifyAudit`); appends are serialised on one chain-head row;
 * operator passwords are argon2id and session tokens are stored only as SHA-256; bank_settings is never cached,
 * so a switch applies to the next request that reads it.
 * Never: chain money movements (only operator actions and security events go through the audit chain: chaining
 * every payment would make the ledger single-writer); import Fastify or HTTP types.
 */
export { createOps, type Ops, type LoginContext } from './service.ts';
export { ROLES, MAX_REASON_LENGTH, type Role, type Operator, type BankSwitches, type BankView, type SwitchChange, type Page } from './types.ts';
export type { CaseView } from './repository.ts';
export { createAudit, verifyAudit, listAudit, toAuditRecord, type Audit, type AuditRecord, type AuditEntry, type AuditVerification } from './audit.ts';
