import { scoreNameMatch } from '../banks/index.ts';
import { inTransaction } from '../db/index.ts';
import { normalizePhone } from '../notify/index.ts';
import { assertBankAccess, bankScopeOf } from '../ops/index.ts';
import { AppError } from '../platform/index.ts';
import * as repo from './repository.ts';
import type { Cluster, Incident, IncidentDeps, Viewer, Victim, WindowCharge, WindowLink } from './types.ts';

const MAX_REASON = 1000;

function checkText(raw: string, field: string): string {
  const text = raw.trim();
  if (!text) throw new AppError('reason_required', `say why (${field})`, { field });
  if (text.length > MAX_REASON)
    throw new AppError('invalid_request', `${field} is at most ${MAX_REASON} characters`, { field });
  return text;
}

/** Links of the window grouped by what they share; only groups of two or more are clusters. */
export function clustersOf(links: Array<Pick<WindowLink, 'id' | 'userId' | 'deviceId' | 'ip' | 'phone'>>): Cluster[] {
  const groups = new Map<string, Cluster>();
  const add = (kind: Cluster['kind'], value: string | null, linkId: string) => {
    if (!value) return;
    const id = `${kind}:${value}`;
    const c = groups.get(id) ?? { id, kind, value, linkIds: [] };
    c.linkIds.push(linkId);
    groups.set(id, c);
  };
  for (const l of links) {
    add('device', l.deviceId, l.id);
    add('ip', l.ip, l.id);
    add('phone', l.phone, l.id);
    add('wallet', l.userId, l.id);
  }
  return [...groups.values()].filter((c) => c.linkIds.length > 1).sort((a, b) => b.linkIds.length - a.linkIds.length);
}

/**
 * Incidents: a bank (or all) and a time window; the links and charges of the window with their risk, name match,
 * clusters and holder reports; victims found by account, name or phone; links marked fraudulent singly or by
 * cluster, which freezes their wallets and the wallets their money went to (one hop).
 */
export function createIncidentCore(deps: IncidentDeps) {
  const { db, clock } = deps;

  async function createIncident(
    operatorId: string,
    input: { bankCode?: string | null; from: Date; to: Date; reason: string },
  ): Promise<Incident> {
    const reason = checkText(input.reason, 'reason');
    if (Number.isNaN(input.from.getTime()) || Number.isNaN(input.to.getTime()))
      throw new AppError('invalid_request', 'from and to are ISO 8601 times', { field: 'from' });
    if (input.from >= input.to)
      throw new AppError('invalid_request', 'the window is empty or reversed: from must be before to', {
        field: 'to',
        from: input.from.toISOString(),
        to: input.to.toISOString(),
      });
    const bankCode = input.bankCode ?? null;
    if (bankCode !== null && !(await deps.bankConfigured(bankCode)))
      throw new AppError('unknown_bank', `bank ${bankCode} is not configured in Saifu`, { bankCode });
    const row = {
      id: deps.newId('inc'),
      bank_code: bankCode,
      window_from: input.from,
      window_to: input.to,
      reason,
      created_by: operatorId,
      created_at: clock.now(),
    };
    await inTransaction(db, async (trx) => {
      await trx.insertInto('incidents').values(row).execute();
      await deps.audit(trx, {
        actor: operatorId,
        action: 'incident.create',
        target: row.id,
        details: { bankCode, from: row.window_from.toISOString(), to: row.window_to.toISOString(), reason },
      });
    });
    return repo.toIncident({ ...row, status: 'open', closed_at: null });
  }

  /** The incident as the viewer may see it: a bank operator sees incidents of its bank and those of every bank. */
  async function getIncident(viewer: Viewer, id: string): Promise<Incident> {
    const i = await repo.findIncident(db, id);
    if (!i) throw new AppError('not_found', `no incident ${id}`);
    if (i.bankCode !== null) assertBankAccess(viewer as never, i.bankCode);
    return i;
  }

  async function listIncidents(viewer: Viewer, page: { limit: number; startingAfter?: string }) {
    const scope = bankScopeOf(viewer as never);
    let q = db
      .selectFrom('incidents')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    if (scope) q = q.where((eb) => eb.or([eb('bank_code', '=', scope), eb('bank_code', 'is', null)]));
    if (page.startingAfter) q = q.where('id', '<', page.startingAfter);
    const rows = await q.execute();
    return { data: rows.slice(0, page.limit).map(repo.toIncident), hasMore: rows.length > page.limit };
  }

  async function scopeFor(viewer: Viewer, id: string) {
    const incident = await getIncident(viewer, id);
    return { incident, scope: repo.scopeOf(incident, bankScopeOf(viewer as never)) };
  }

  /** Every link created in the window, with its signals and clusters (the viewer's bank only, for bank staff). */
  async function windowLinks(viewer: Viewer, id: string): Promise<{ links: WindowLink[]; clusters: Cluster[] }> {
    const { scope } = await scopeFor(viewer, id);
    const rows = await repo.linksInWindow(db, id, scope);
    const clusters = clustersOf(rows);
    const memberOf = new Map<string, string[]>();
    for (const c of clusters) for (const l of c.linkIds) memberOf.set(l, [...(memberOf.get(l) ?? []), c.id]);
    return { links: rows.map((l) => ({ ...l, clusters: memberOf.get(l.id) ?? [] })), clusters };
  }

  async function windowCharges(viewer: Viewer, id: string): Promise<WindowCharge[]> {
    const { scope } = await scopeFor(viewer, id);
    return repo.chargesInWindow(db, id, scope);
  }

  /**
   * Victims: bank accounts behind the window's links, found by account number (with bank and branch if given), by
   * holder name (normalised and scored by the kana matcher against the bank's holder name and the wallet's verified
   * kana name, 85 or more) or by phone (the wallet's). Each with its loss through links marked fraudulent.
   */
  async function searchVictims(
    viewer: Viewer,
    id: string,
    q: { bankCode?: string; branchCode?: string; accountNumber?: string; name?: string; phone?: string },
  ) {
    if (!q.accountNumber && !q.name && !q.phone)
      throw new AppError('invalid_request', 'search by accountNumber, name or phone', { field: 'accountNumber' });
    const { scope } = await scopeFor(viewer, id);
    let query = db
      .selectFrom('bank_links as l')
      .innerJoin('users as u', 'u.id', 'l.user_id')
      .select(['l.id', 'l.user_id', 'l.bank_code', 'l.branch_code', 'l.account_type', 'l.account_number', 'u.phone'])
      .where('l.created_at', '>=', scope.from)
      .where('l.created_at', '<', scope.to);
    if (scope.bankCodes) query = query.where('l.bank_code', 'in', scope.bankCodes);
    if (q.bankCode) query = query.where('l.bank_code', '=', q.bankCode);
    if (q.branchCode) query = query.where('l.branch_code', '=', q.branchCode);
    if (q.accountNumber) query = query.where('l.account_number', '=', q.accountNumber);
    if (q.phone) query = query.where('u.phone', 'in', phoneForms(q.phone));
    const rows = await query.orderBy('l.id').limit(2000).execute();
    const matched = q.name ? await byName(rows, q.name) : rows.map((r) => ({ ...r, nameScore: null }));
    const losses = new Map((await repo.victimsOf(db, id, scope.bankCodes)).map((v) => [v.key, v]));
    const byKey = new Map<string, ReturnType<typeof victimView>>();
    for (const r of matched) {
      const account = { bankCode: r.bank_code, branchCode: r.branch_code, accountNumber: r.account_number };
      const key = repo.victimKeyOf(account);
      const v = byKey.get(key) ?? victimView(key, account, losses.get(key), r.nameScore);
      if (!v.linkIds.includes(r.id)) v.linkIds.push(r.id);
      byKey.set(key, v);
    }
    return [...byKey.values()];
  }

  async function byName<
    T extends { user_id: string; bank_code: string; branch_code: string; account_type: string; account_number: string },
  >(rows: T[], name: string): Promise<Array<T & { nameScore: number }>> {
    const [family = '', ...rest] = name.trim().split(/[\s\u3000]+/);
    const query = { familyNameKana: family, givenNameKana: rest.join('') };
    const ids = [...new Set(rows.map((r) => r.user_id))];
    const verified = ids.length
      ? await db
          .selectFrom('identity_verifications')
          .select(['user_id', 'family_name_kana', 'given_name_kana'])
          .where('user_id', 'in', ids)
          .where('status', '=', 'verified')
          .execute()
      : [];
    const walletName = new Map(verified.map((v) => [v.user_id, `${v.family_name_kana} ${v.given_name_kana}`]));
    const out: Array<T & { nameScore: number }> = [];
    for (const r of rows) {
      const names = [walletName.get(r.user_id)];
      if (deps.holderOf) {
        const holder = await deps
          .holderOf({
            bankCode: r.bank_code,
            branchCode: r.branch_code,
            accountType: r.account_type as 'ordinary',
            accountNumber: r.account_number,
          })
          .catch(() => undefined);
        names.push(holder?.nameKana);
      }
      const score = Math.max(0, ...names.filter((n): n is string => !!n).map((n) => scoreNameMatch(n, query).score));
      if (score >= 85) out.push({ ...r, nameScore: score });
    }
    return out;
  }

  /**
   * Marks links fraudulent (by id, or every link of a cluster of the window) in one transaction: the marks, the
   * wallets frozen, their outgoing money since the window opened traced (transfers, payments, withdrawals), the
   * wallets that received transfers frozen too (one hop), and the audit record.
   */
  async function markFraudulent(
    operator: Viewer,
    id: string,
    input: { linkIds?: string[]; cluster?: string; note: string },
  ) {
    const note = checkText(input.note, 'note');
    const { incident, scope } = await scopeFor(operator, id);
    if (incident.status !== 'open')
      throw new AppError('invalid_state', 'the incident is closed', { status: incident.status });
    let linkIds = input.linkIds ?? [];
    if (input.cluster) {
      const { clusters } = await windowLinks(operator, id);
      const c = clusters.find((x) => x.id === input.cluster);
      if (!c) throw new AppError('not_found', `no cluster ${input.cluster} in this incident's window`);
      linkIds = [...new Set([...linkIds, ...c.linkIds])];
    }
    if (linkIds.length === 0) throw new AppError('invalid_request', 'give linkIds or a cluster', { field: 'linkIds' });
    const links = await repo.linksForMarking(db, scope, linkIds);
    const missing = linkIds.filter((l) => !links.some((x) => x.id === l));
    if (missing.length > 0)
      throw new AppError('not_found', 'these links are not in the incident’s window and bank', { linkIds: missing });
    const result = await inTransaction(db, async (trx) => {
      const at = clock.now();
      const marked = await repo.insertFraudLinks(
        trx,
        links.map((l) => ({
          incident_id: id,
          link_id: l.id,
          user_id: l.user_id,
          bank_code: l.bank_code,
          branch_code: l.branch_code,
          account_type: l.account_type as string,
          account_number: l.account_number,
          cluster: input.cluster ?? null,
          note,
          marked_by: operator.id,
          marked_at: at,
        })),
      );
      const traced = await trace(trx, id, new Date(incident.from), at);
      await deps.audit(trx, {
        actor: operator.id,
        action: 'incident.mark_fraudulent',
        target: id,
        details: { linkIds, cluster: input.cluster ?? null, note, newlyMarked: marked, ...traced },
      });
      return { marked, ...traced };
    });
    deps.onUsersFrozen?.([...result.fraudulentWallets, ...result.recipientWallets]);
    return result;
  }

  /** Recomputes the incident's frozen wallets and traces from every link marked so far, in `trx`. */
  async function trace(
    trx: import('kysely').Transaction<import('../db/index.ts').DB>,
    id: string,
    from: Date,
    at: Date,
  ) {
    const fraudulent = [
      ...new Set(
        (await trx.selectFrom('incident_fraud_links').select('user_id').where('incident_id', '=', id).execute()).map(
          (r) => r.user_id,
        ),
      ),
    ].sort();
    const out = await repo.outgoingOf(trx, fraudulent, from);
    const received = new Map<string, number>();
    for (const m of out)
      if (m.kind === 'transfer' && !fraudulent.includes(m.counterparty) && m.status === 'succeeded')
        received.set(m.counterparty, (received.get(m.counterparty) ?? 0) + m.amount);
    const recipients = [...received.keys()].sort();
    await deps.freezeUsers(trx, [...fraudulent, ...recipients], at);
    if (out.length > 0)
      await trx
        .insertInto('incident_traces')
        .values(
          out.map((m) => ({
            incident_id: id,
            object_id: m.id,
            kind: m.kind,
            from_user_id: m.fromUserId,
            counterparty: m.counterparty,
            amount: m.amount,
            status: m.status,
            occurred_at: m.at,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['incident_id', 'object_id']).doUpdateSet((eb) => ({ status: eb.ref('excluded.status') })),
        )
        .execute();
    const wallets = [
      ...fraudulent.map((u) => ({ user_id: u, role: 'fraudulent' as const, traced_amount: 0 })),
      ...recipients.map((u) => ({ user_id: u, role: 'recipient' as const, traced_amount: received.get(u) ?? 0 })),
    ];
    if (wallets.length > 0)
      await trx
        .insertInto('incident_wallets')
        .values(wallets.map((w) => ({ ...w, incident_id: id, frozen_at: at })))
        .onConflict((oc) =>
          oc.columns(['incident_id', 'user_id']).doUpdateSet((eb) => ({
            role: eb.ref('excluded.role'),
            traced_amount: eb.ref('excluded.traced_amount'),
          })),
        )
        .execute();
    return {
      fraudulentWallets: fraudulent,
      recipientWallets: recipients,
      traced: {
        transfers: count(out, 'transfer'),
        payments: count(out, 'payment'),
        withdrawals: count(out, 'withdrawal'),
      },
    };
  }

  async function closeIncident(operatorId: string, id: string, note: string): Promise<Incident> {
    const why = checkText(note, 'note');
    return inTransaction(db, async (trx) => {
      const i = await repo.findIncident(trx, id, true);
      if (!i) throw new AppError('not_found', `no incident ${id}`);
      if (i.status !== 'open') throw new AppError('invalid_state', 'the incident is already closed');
      const at = clock.now();
      await trx.updateTable('incidents').set({ status: 'closed', closed_at: at }).where('id', '=', id).execute();
      await deps.audit(trx, { actor: operatorId, action: 'incident.close', target: id, details: { note: why } });
      return { ...i, status: 'closed' as const, closedAt: at.toISOString() };
    });
  }

  return {
    createIncident,
    getIncident,
    listIncidents,
    scopeFor,
    windowLinks,
    windowCharges,
    searchVictims,
    markFraudulent,
    closeIncident,
  };
}
export type IncidentCore = ReturnType<typeof createIncidentCore>;

const count = (out: Array<{ kind: string }>, kind: string) => out.filter((m) => m.kind === kind).length;

/** A phone as users type it, and as identity stores it (090… and +8190… are the same number). */
const phoneForms = (raw: string): string[] => [...new Set([raw.trim(), normalizePhone(raw)])];

function victimView(
  key: string,
  account: { bankCode: string; branchCode: string; accountNumber: string },
  v: Victim | undefined,
  nameScore: number | null,
) {
  return {
    id: repo.victimIdOf(key),
    bankCode: account.bankCode,
    branchCode: account.branchCode,
    accountNumberLast4: account.accountNumber.slice(-4),
    loss: v?.loss ?? 0,
    fraudulentLinks: v?.linkIds ?? [],
    reportedByHolder: v?.reportedByHolder ?? false,
    nameScore,
    linkIds: [] as string[],
  };
}
