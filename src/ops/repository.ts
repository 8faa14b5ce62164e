import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import type { BankSwitches, BankView, Operator, Page, SwitchChange } from './types.ts';

/** Queries of the ops area. Functions that must run inside the caller's transaction take `trx`. */

export async function findOperatorByEmail(db: Kysely<DB>, email: string) {
  return db.selectFrom('operators').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function insertOperator(trx: Transaction<DB>, o: { id: string; email: string; passwordHash: string; role: Operator['role']; at: Date }): Promise<void> {
  await trx.insertInto('operators').values({ id: o.id, email: o.email, password_hash: o.passwordHash, role: o.role, created_at: o.at }).execute();
}

export async function insertSession(trx: Transaction<DB>, s: { id: string; operatorId: string; tokenHash: string; at: Date; expiresAt: Date }): Promise<void> {
  await trx.insertInto('operator_sessions').values({ id: s.id, operator_id: s.operatorId, token_hash: s.tokenHash, created_at: s.at, expires_at: s.expiresAt }).execute();
}

export async function revokeSession(trx: Transaction<DB>, tokenHash: string, at: Date): Promise<void> {
  await trx.updateTable('operator_sessions').set({ revoked_at: at }).where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).execute();
}

/** The operator behind a live session: unknown, revoked, expired sessions and disabled operators give nothing. */
export async function findSessionOperator(db: Kysely<DB>, tokenHash: string, now: Date): Promise<Operator | undefined> {
  const r = await db
    .selectFrom('operator_sessions as s')
    .innerJoin('operators as o', 'o.id', 's.operator_id')
    .select(['o.id', 'o.email', 'o.role', 'o.disabled_at', 's.expires_at', 's.revoked_at'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!r || r.revoked_at || r.disabled_at || new Date(r.expires_at) <= now) return undefined;
  return { id: r.id, email: r.email, role: r.role };
}

export async function listBankSettings(db: Kysely<DB>): Promise<BankView[]> {
  return (await db.selectFrom('bank_settings').selectAll().orderBy('bank_code').execute()).map(toBank);
}

export async function bankIsConfigured(db: Kysely<DB>, code: string): Promise<boolean> {
  return (await db.selectFrom('bank_settings').select('bank_code').where('bank_code', '=', code).executeTakeFirst()) !== undefined;
}

/** Moves the given switches; undefined when the bank has no bank_settings row. */
export async function updateBankSwitches(trx: Transaction<DB>, code: string, changes: BankSwitches, at: Date): Promise<BankView | undefined> {
  const row = await trx
    .updateTable('bank_settings')
    .set({
      ...(changes.linking !== undefined ? { linking: changes.linking } : {}),
      ...(changes.charging !== undefined ? { charging: changes.charging } : {}),
      ...(changes.registrationChanges !== undefined ? { registration_changes: changes.registrationChanges } : {}),
      updated_at: at,
    })
    .where('bank_code', '=', code)
    .returningAll()
    .executeTakeFirst();
  return row ? toBank(row) : undefined;
}

export async function insertSwitchChange(trx: Transaction<DB>, c: { id: string; bankCode: string; changes: BankSwitches; reason: string; actor: string; at: Date }): Promise<void> {
  await trx.insertInto('bank_switch_changes').values({ id: c.id, bank_code: c.bankCode, changes: JSON.stringify(c.changes), reason: c.reason, actor: c.actor, created_at: c.at }).execute();
}

/** A bank's switch history, newest first; ids are time-ordered, so they page. */
export async function switchChangesPage(db: Kysely<DB>, code: string, limit: number, startingAfter?: string): Promise<Page<SwitchChange>> {
  let q = db.selectFrom('bank_switch_changes').selectAll().where('bank_code', '=', code).orderBy('id', 'desc').limit(limit + 1);
  if (startingAfter) q = q.where('id', '<', startingAfter);
  const rows = await q.execute();
  return {
    data: rows.slice(0, limit).map((r) => ({ id: r.id, bankCode: r.bank_code, changes: JSON.parse(r.changes) as BankSwitches, reason: r.reason, actor: r.actor, at: new Date(r.created_at).toISOString() })),
    hasMore: rows.length > limit,
  };
}

export async function casesPage(db: Kysely<DB>, f: { kind?: string; status?: string; limit: number; startingAfter?: string }): Promise<Page<CaseView>> {
  let q = db.selectFrom('cases').selectAll().orderBy('id', 'desc').limit(f.limit + 1);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.startingAfter) q = q.where('id', '<', f.startingAfter);
  const rows = await q.execute();
  return { data: rows.slice(0, f.limit).map(toCase), hasMore: rows.length > f.limit };
}

export async function findCase(db: Kysely<DB>, id: string): Promise<CaseView | undefined> {
  const row = await db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toCase(row) : undefined;
}

// pg returns int8 as strings and PGlite as numbers: Number() gives the API the same value from both.
const intOrNull = (v: number | string | bigint | null): number | null => (v === null ? null : Number(v));

function toBank(r: Selectable<DB['bank_settings']>): BankView {
  return {
    code: r.bank_code,
    participating: r.participating,
    authMethod: r.auth_method,
    linking: r.linking,
    charging: r.charging,
    registrationChanges: r.registration_changes,
    perChargeLimit: intOrNull(r.per_charge_limit),
    monthlyLimit: intOrNull(r.monthly_limit),
    coolingOffDays: intOrNull(r.cooling_off_days),
    newLinkDailyLimit: intOrNull(r.new_link_daily_limit),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export interface CaseView {
  id: string;
  kind: string;
  status: string;
  bankAccount: { bankCode: string; branchCode: string; accountNumberLast4: string } | null;
  details: Record<string, unknown>;
  createdAt: string;
}

/** Full account numbers stay in the database: operators see the last four digits (STYLE.md, logs and views). */
function toCase(r: Selectable<DB['cases']>): CaseView {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    bankAccount: r.bank_code ? { bankCode: r.bank_code, branchCode: r.branch_code ?? '', accountNumberLast4: (r.account_number ?? '').slice(-4) } : null,
    details: JSON.parse(r.details) as Record<string, unknown>,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
