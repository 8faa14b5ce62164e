import { createHash } from 'node:crypto';
import { type Insertable, type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { DB } from '../db/index.ts';
import type { IncidentTables } from '../db/schema-incidents.ts';
import type { CostSplit, Incident, Remediation, RiskSummary, Victim, WindowCharge, WindowLink } from './types.ts';

type Q = Kysely<DB> | Transaction<DB>;

/**
 * Queries of the incidents area: the only writer of its own tables. It reads (never writes) the links, charges,
 * users and money objects of the window, as reports do.
 */

const iso = (d: Date | string) => new Date(d).toISOString();
const last4 = (n: string) => n.slice(-4);
/** What the API calls a victim: a digest of the bank account, so full account numbers never leave Saifu. */
export const victimIdOf = (key: string) => `vic_${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
export const victimKeyOf = (a: { bankCode: string; branchCode: string; accountNumber: string }) =>
  `${a.bankCode}-${a.branchCode}-${a.accountNumber}`;

export function riskOf(column: string | null): RiskSummary {
  if (!column) return { decision: 'allow', score: 0, reasons: [] };
  const r = JSON.parse(column) as Partial<RiskSummary>;
  return { decision: r.decision ?? 'allow', score: r.score ?? 0, reasons: r.reasons ?? [] };
}

export function toIncident(r: Selectable<IncidentTables['incidents']>): Incident {
  return {
    id: r.id,
    bankCode: r.bank_code,
    from: iso(r.window_from),
    to: iso(r.window_to),
    reason: r.reason,
    status: r.status,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    closedAt: r.closed_at ? iso(r.closed_at) : null,
  };
}

export async function findIncident(q: Q, id: string, lock = false): Promise<Incident | undefined> {
  let query = q.selectFrom('incidents').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  const r = await query.executeTakeFirst();
  return r && toIncident(r);
}

/** The incident's scope for a query: its own bank (if any) narrowed by the viewer's bank (if any). */
export interface Scope {
  from: Date;
  to: Date;
  bankCodes: string[] | undefined;
}

export function scopeOf(i: Incident, viewerBank: string | undefined): Scope {
  const banks = [i.bankCode, viewerBank].filter((b): b is string => b !== null && b !== undefined);
  return { from: new Date(i.from), to: new Date(i.to), bankCodes: banks.length ? [...new Set(banks)] : undefined };
}

const MAX_ROWS = 10_000;

/** Every link created in the window (at the incident's bank, within the viewer's scope), oldest first. */
export async function linksInWindow(q: Q, incidentId: string, s: Scope): Promise<Omit<WindowLink, 'clusters'>[]> {
  let query = q
    .selectFrom('bank_links as l')
    .innerJoin('users as u', 'u.id', 'l.user_id')
    .select([
      'l.id',
      'l.user_id',
      'l.bank_code',
      'l.branch_code',
      'l.account_number',
      'l.status',
      'l.created_at',
      'l.activated_at',
      'l.name_match_score',
      'l.risk',
      'l.device_id',
      'l.ip',
      'u.phone',
      'u.verification',
      sql<boolean>`EXISTS (SELECT 1 FROM incident_fraud_links f WHERE f.incident_id = ${incidentId} AND f.link_id = l.id)`.as(
        'fraudulent',
      ),
      sql<boolean>`EXISTS (SELECT 1 FROM cases c WHERE c.kind = 'unauthorized_report' AND c.bank_code = l.bank_code AND c.branch_code = l.branch_code AND c.account_number = l.account_number)`.as(
        'reported',
      ),
      sql<number>`(SELECT coalesce(sum(ch.amount), 0)::int8 FROM charges ch WHERE ch.bank_link_id = l.id AND ch.status = 'succeeded')`.as(
        'charged',
      ),
    ])
    .where('l.created_at', '>=', s.from)
    .where('l.created_at', '<', s.to)
    .orderBy('l.created_at')
    .orderBy('l.id')
    .limit(MAX_ROWS);
  if (s.bankCodes) query = query.where('l.bank_code', 'in', s.bankCodes);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    bankCode: r.bank_code,
    branchCode: r.branch_code,
    accountNumberLast4: last4(r.account_number),
    status: r.status,
    createdAt: iso(r.created_at),
    activatedAt: r.activated_at ? iso(r.activated_at) : null,
    nameMatchScore: r.name_match_score === null ? null : Number(r.name_match_score),
    risk: riskOf(r.risk),
    deviceId: r.device_id,
    ip: r.ip,
    phone: r.phone,
    walletVerified: r.verification === 'verified',
    reportedByHolder: Boolean(r.reported),
    fraudulent: Boolean(r.fraudulent),
    charged: Number(r.charged),
  }));
}

/** Every charge made in the window (same scope), oldest first. */
export async function chargesInWindow(q: Q, incidentId: string, s: Scope): Promise<WindowCharge[]> {
  let query = q
    .selectFrom('charges as c')
    .innerJoin('bank_links as l', 'l.id', 'c.bank_link_id')
    .select([
      'c.id',
      'c.bank_link_id',
      'c.user_id',
      'c.bank_code',
      'c.amount',
      'c.status',
      'c.created_at',
      'c.risk',
      'l.account_number',
      sql<boolean>`EXISTS (SELECT 1 FROM incident_fraud_links f WHERE f.incident_id = ${incidentId} AND f.link_id = c.bank_link_id)`.as(
        'fraudulent',
      ),
      sql<boolean>`EXISTS (SELECT 1 FROM cases k WHERE k.kind = 'unauthorized_report' AND k.bank_code = l.bank_code AND k.branch_code = l.branch_code AND k.account_number = l.account_number)`.as(
        'reported',
      ),
    ])
    .where('c.created_at', '>=', s.from)
    .where('c.created_at', '<', s.to)
    .orderBy('c.created_at')
    .orderBy('c.id')
    .limit(MAX_ROWS);
  if (s.bankCodes) query = query.where('c.bank_code', 'in', s.bankCodes);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    linkId: r.bank_link_id,
    userId: r.user_id,
    bankCode: r.bank_code,
    accountNumberLast4: last4(r.account_number),
    amount: Number(r.amount),
    status: r.status,
    createdAt: iso(r.created_at),
    risk: riskOf(r.risk),
    fraudulent: Boolean(r.fraudulent),
    reportedByHolder: Boolean(r.reported),
  }));
}

/** Links of the window with what marking needs (full account), by id; only links inside the incident's scope. */
export async function linksForMarking(q: Q, s: Scope, linkIds: string[]) {
  if (linkIds.length === 0) return [];
  let query = q
    .selectFrom('bank_links')
    .select(['id', 'user_id', 'bank_code', 'branch_code', 'account_type', 'account_number'])
    .where('id', 'in', linkIds)
    .where('created_at', '>=', s.from)
    .where('created_at', '<', s.to);
  if (s.bankCodes) query = query.where('bank_code', 'in', s.bankCodes);
  return query.execute();
}

export async function insertFraudLinks(
  trx: Transaction<DB>,
  rows: Array<Insertable<IncidentTables['incident_fraud_links']>>,
): Promise<string[]> {
  if (rows.length === 0) return [];
  const done = await trx
    .insertInto('incident_fraud_links')
    .values(rows)
    .onConflict((oc) => oc.columns(['incident_id', 'link_id']).doNothing())
    .returning('link_id')
    .execute();
  return done.map((r) => r.link_id);
}

/** Where the wallets' money went since `from`: transfers, payments and withdrawals, not failed. */
export async function outgoingOf(q: Q, userIds: string[], from: Date) {
  if (userIds.length === 0) return [];
  const live = ['succeeded', 'pending', 'in_review', 'requires_action'] as const;
  const transfers = await q
    .selectFrom('wallet_transfers')
    .select(['id', 'from_user_id', 'to_user_id as counterparty', 'amount', 'status', 'created_at'])
    .where('from_user_id', 'in', userIds)
    .where('created_at', '>=', from)
    .where('status', 'in', live)
    .execute();
  const payments = await q
    .selectFrom('payments')
    .select(['id', 'user_id as from_user_id', 'merchant_id as counterparty', 'amount', 'status', 'created_at'])
    .where('user_id', 'in', userIds)
    .where('created_at', '>=', from)
    .where('status', 'in', live)
    .execute();
  const withdrawals = await q
    .selectFrom('withdrawals')
    .select(['id', 'user_id as from_user_id', 'bank_link_id as counterparty', 'amount', 'status', 'created_at'])
    .where('user_id', 'in', userIds)
    .where('created_at', '>=', from)
    .where('status', 'in', live)
    .execute();
  const as = (kind: 'transfer' | 'payment' | 'withdrawal') => (r: (typeof transfers)[number]) => ({
    kind,
    id: r.id,
    fromUserId: r.from_user_id,
    counterparty: r.counterparty,
    amount: Number(r.amount),
    status: r.status,
    at: new Date(r.created_at),
  });
  return [...transfers.map(as('transfer')), ...payments.map(as('payment')), ...withdrawals.map(as('withdrawal'))];
}

/** The incident's victims: bank accounts with successful charges on its fraudulent links. */
export async function victimsOf(q: Q, incidentId: string, bankCodes?: string[]): Promise<Victim[]> {
  let query = q
    .selectFrom('incident_fraud_links as f')
    .innerJoin('charges as c', 'c.bank_link_id', 'f.link_id')
    .select([
      'f.bank_code',
      'f.branch_code',
      'f.account_type',
      'f.account_number',
      'f.link_id',
      'f.user_id',
      'c.id as charge_id',
      'c.amount',
      sql<boolean>`EXISTS (SELECT 1 FROM cases k WHERE k.kind = 'unauthorized_report' AND k.bank_code = f.bank_code AND k.branch_code = f.branch_code AND k.account_number = f.account_number)`.as(
        'reported',
      ),
    ])
    .where('f.incident_id', '=', incidentId)
    .where('c.status', '=', 'succeeded')
    .orderBy('c.id');
  if (bankCodes) query = query.where('f.bank_code', 'in', bankCodes);
  const rows = await query.execute();
  const byKey = new Map<string, Victim>();
  for (const r of rows) {
    const account = { bankCode: r.bank_code, branchCode: r.branch_code, accountNumber: r.account_number };
    const key = victimKeyOf(account);
    const v = byKey.get(key) ?? {
      key,
      ...account,
      accountType: r.account_type,
      loss: 0,
      charges: [],
      linkIds: [],
      userIds: [],
      reportedByHolder: Boolean(r.reported),
    };
    v.loss += Number(r.amount);
    v.charges.push({ id: r.charge_id, amount: Number(r.amount) });
    if (!v.linkIds.includes(r.link_id)) v.linkIds.push(r.link_id);
    if (!v.userIds.includes(r.user_id)) v.userIds.push(r.user_id);
    byKey.set(key, v);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** The charges already made good (or being paid) by a live payout, of any incident. */
export async function claimedCharges(q: Q, chargeIds: string[]): Promise<Set<string>> {
  if (chargeIds.length === 0) return new Set();
  const rows = await q
    .selectFrom('incident_remediation_charges')
    .select('charge_id')
    .where('charge_id', 'in', chargeIds)
    .where('released', '=', false)
    .execute();
  return new Set(rows.map((r) => r.charge_id));
}

export function toRemediation(r: Selectable<IncidentTables['incident_remediations']>): Remediation {
  return {
    id: r.id,
    incidentId: r.incident_id,
    victimKey: r.victim_key,
    bankCode: r.bank_code,
    branchCode: r.branch_code,
    accountNumberLast4: last4(r.account_number),
    loss: Number(r.loss),
    returned: Number(r.returned),
    compensated: Number(r.compensated),
    split: splitOf(r),
    status: r.status,
    failureCode: r.failure_code,
    approvalId: r.approval_id,
    requestedBy: r.requested_by,
    approvedBy: r.approved_by,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

const splitOf = (r: Selectable<IncidentTables['incident_remediations']>): CostSplit => ({
  operatorSharePct: r.operator_share_pct,
  bankSharePct: r.bank_share_pct,
  operatorShare: Number(r.operator_share),
  bankShare: Number(r.bank_share),
  agreementId: r.agreement_id,
});

export async function remediationsOf(q: Q, incidentId: string, bankCodes?: string[]): Promise<Remediation[]> {
  let query = q.selectFrom('incident_remediations').selectAll().where('incident_id', '=', incidentId).orderBy('id');
  if (bankCodes) query = query.where('bank_code', 'in', bankCodes);
  return (await query.execute()).map(toRemediation);
}

export async function incidentWallets(q: Q, incidentId: string) {
  const rows = await q.selectFrom('incident_wallets').selectAll().where('incident_id', '=', incidentId).execute();
  return rows.map((r) => ({ userId: r.user_id, role: r.role, tracedAmount: Number(r.traced_amount) }));
}

export async function tracesOf(q: Q, incidentId: string) {
  const rows = await q
    .selectFrom('incident_traces')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('occurred_at')
    .orderBy('object_id')
    .execute();
  return rows.map((r) => ({
    objectId: r.object_id,
    kind: r.kind,
    fromUserId: r.from_user_id,
    counterparty: r.counterparty,
    amount: Number(r.amount),
    status: r.status,
    at: iso(r.occurred_at),
  }));
}

/** Ledger accounts of wallets (read in the caller's transaction: the ledger's own table, read only). */
export async function walletAccounts(q: Q, userIds: string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await q
    .selectFrom('wallets')
    .select(['user_id', 'account_id'])
    .where('user_id', 'in', userIds)
    .execute();
  return new Map(rows.map((r) => [r.user_id, r.account_id]));
}
