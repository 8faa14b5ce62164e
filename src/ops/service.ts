import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import { createLoginThrottle, sha256 } from '../identity/index.ts';
import { isUniqueViolation } from '../ledger/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import { type Audit, createAudit } from './audit.ts';

export type Role = 'support' | 'fraud_analyst' | 'compliance' | 'admin';
export const ROLES: readonly Role[] = ['support', 'fraud_analyst', 'compliance', 'admin'];

export interface Operator {
  id: string;
  email: string;
  role: Role;
}

export interface BankSwitches {
  linking?: boolean;
  charging?: boolean;
  registrationChanges?: boolean;
}

export interface BankView {
  code: string;
  participating: boolean;
  authMethod: string | null;
  linking: boolean;
  charging: boolean;
  registrationChanges: boolean;
  perChargeLimit: number | null;
  monthlyLimit: number | null;
  updatedAt: string;
}

const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$FVwp+k9VH0MIZcEq60lDnw$Fys5jWe2vdzq2EsOiN0FMddjLx4+2+qmq0S7iajS4wY';

/** Operators, their sessions, and the per-bank switches they change. Every operator action is audited in its own transaction. */
export function createOps(deps: { db: Kysely<DB>; clock: Clock; newId: NewId }) {
  const { db, clock } = deps;
  const audit: Audit = createAudit(deps);
  const throttle = createLoginThrottle({ db, clock, scope: 'operator-login' });

  async function createOperator(email: string, role: Role, by = 'system'): Promise<Operator & { password: string }> {
    const password = randomBytes(18).toString('base64url');
    const id = deps.newId('op');
    const normalized = email.trim().toLowerCase();
    try {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('operators').values({ id, email: normalized, password_hash: await hash(password), role, created_at: clock.now() }).execute();
        await audit.append(trx, { actor: by, action: 'operator.create', target: id, details: { email: normalized, role } });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new AppError('email_taken', 'an operator with this email exists');
      throw e;
    }
    return { id, email: normalized, role, password };
  }

  async function login(email: string, password: string): Promise<{ token: string; operator: Operator }> {
    await throttle.assertNotLocked(email);
    const row = await db.selectFrom('operators').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    const ok = (await verify(row?.password_hash ?? DUMMY_HASH, password)) && row !== undefined && row.disabled_at === null;
    if (!ok || !row) {
      await throttle.recordFailure(email);
      await db.transaction().execute((trx) => audit.append(trx, { actor: row?.id ?? 'unknown', action: 'operator.login_failed', target: sha256(email.trim().toLowerCase()).slice(0, 16) }));
      throw new AppError('invalid_credentials', 'email or password is not correct');
    }
    await throttle.recordSuccess(email);
    const token = `ops_${randomBytes(32).toString('base64url')}`;
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('operator_sessions').values({ id: deps.newId('ops'), operator_id: row.id, token_hash: sha256(token), created_at: clock.now(), expires_at: new Date(clock.now().getTime() + SESSION_TTL_MS) }).execute();
      await audit.append(trx, { actor: row.id, action: 'operator.login', target: row.id });
    });
    return { token, operator: { id: row.id, email: row.email, role: row.role } };
  }

  async function logout(operatorId: string, token: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('operator_sessions').set({ revoked_at: clock.now() }).where('token_hash', '=', sha256(token)).where('revoked_at', 'is', null).execute();
      await audit.append(trx, { actor: operatorId, action: 'operator.logout', target: operatorId });
    });
  }

  async function authenticate(token: string): Promise<Operator | undefined> {
    const r = await db
      .selectFrom('operator_sessions as s')
      .innerJoin('operators as o', 'o.id', 's.operator_id')
      .select(['o.id', 'o.email', 'o.role', 'o.disabled_at', 's.expires_at', 's.revoked_at'])
      .where('s.token_hash', '=', sha256(token))
      .executeTakeFirst();
    if (!r || r.revoked_at || r.disabled_at || new Date(r.expires_at) <= clock.now()) return undefined;
    return { id: r.id, email: r.email, role: r.role };
  }

  async function listBanks(): Promise<BankView[]> {
    return (await db.selectFrom('bank_settings').selectAll().orderBy('bank_code').execute()).map(toBank);
  }

  /**
   * Changes a bank's switches. Every request reads bank_settings from the database (nothing caches it), so a
   * change applies to every request that starts after it commits. Reason, change and audit record are one
   * transaction: no switch moves without its reason on record.
   */
  async function setBankSwitches(operatorId: string, code: string, changes: BankSwitches, reason: string): Promise<BankView> {
    if (!reason.trim()) throw new AppError('reason_required', 'say why the switch changes (reason)');
    const set = { ...(changes.linking !== undefined ? { linking: changes.linking } : {}), ...(changes.charging !== undefined ? { charging: changes.charging } : {}), ...(changes.registrationChanges !== undefined ? { registration_changes: changes.registrationChanges } : {}) };
    if (Object.keys(set).length === 0) throw new AppError('invalid_request', 'change at least one of linking, charging, registrationChanges');
    return db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('bank_settings').set({ ...set, updated_at: clock.now() }).where('bank_code', '=', code).returningAll().executeTakeFirst();
      if (!row) throw new AppError('unknown_bank', `bank ${code} is not configured in Saifu`);
      await trx.insertInto('bank_switch_changes').values({ id: deps.newId('bsc'), bank_code: code, changes: JSON.stringify(changes), reason: reason.trim(), actor: operatorId, created_at: clock.now() }).execute();
      await audit.append(trx, { actor: operatorId, action: 'bank.switches', target: code, details: { changes, reason: reason.trim() } });
      return toBank(row);
    });
  }

  async function switchHistory(code: string) {
    const rows = await db.selectFrom('bank_switch_changes').selectAll().where('bank_code', '=', code).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map((r) => ({ id: r.id, bankCode: r.bank_code, changes: JSON.parse(r.changes) as BankSwitches, reason: r.reason, actor: r.actor, at: new Date(r.created_at).toISOString() }));
  }

  /** Cases opened by holders' reports and by security detections, newest first. */
  async function listCases(filter: { kind?: string; status?: string; limit: number; startingAfter?: string }) {
    let q = db.selectFrom('cases').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.startingAfter) q = q.where('id', '<', filter.startingAfter);
    const rows = await q.execute();
    return { data: rows.slice(0, filter.limit).map(toCase), hasMore: rows.length > filter.limit };
  }

  /** One case, with everything it touched; viewing it is an audited operator action. */
  async function viewCase(operatorId: string, id: string) {
    const row = await db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('not_found', `no case ${id}`);
    await db.transaction().execute((trx) => audit.append(trx, { actor: operatorId, action: 'case.view', target: id }));
    return toCase(row);
  }

  return { audit, createOperator, login, logout, authenticate, listBanks, setBankSwitches, switchHistory, listCases, viewCase };
}
export type Ops = ReturnType<typeof createOps>;

function toBank(r: DB['bank_settings'] extends infer T ? { [K in keyof T]: unknown } : never): BankView {
  return {
    code: String(r.bank_code),
    participating: Boolean(r.participating),
    authMethod: (r.auth_method as string | null) ?? null,
    linking: Boolean(r.linking),
    charging: Boolean(r.charging),
    registrationChanges: Boolean(r.registration_changes),
    perChargeLimit: r.per_charge_limit === null ? null : Number(r.per_charge_limit),
    monthlyLimit: r.monthly_limit === null ? null : Number(r.monthly_limit),
    updatedAt: new Date(r.updated_at as string).toISOString(),
  };
}

function toCase(r: { id: string; kind: string; status: string; bank_code: string | null; branch_code: string | null; account_number: string | null; details: string; created_at: Date | string }) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    bankAccount: r.bank_code ? { bankCode: r.bank_code, branchCode: r.branch_code ?? '', accountNumberLast4: (r.account_number ?? '').slice(-4) } : null,
    details: JSON.parse(r.details) as Record<string, unknown>,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
