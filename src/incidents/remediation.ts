import { createHash } from 'node:crypto';
import { type Kysely, type Transaction, sql } from 'kysely';
import { BankTimeoutError, BankUnavailableError, descriptorFor } from '../banks/index.ts';
import { type DB, inTransaction } from '../db/index.ts';
import { yen } from '../money/index.ts';
import type { ApprovalContext } from '../ops/index.ts';
import { bankScopeOf } from '../ops/index.ts';
import { AppError } from '../platform/index.ts';
import type { Agreements } from './agreements.ts';
import * as repo from './repository.ts';
import type { IncidentCore } from './service.ts';
import {
  COMPENSATION,
  type IncidentDeps,
  PAYOUT_ACTION,
  type PlannedSource,
  REMEDIATION_RETURN,
  type Victim,
  type VictimPlan,
  type Viewer,
} from './types.ts';

type Q = Kysely<DB> | Transaction<DB>;

interface PayoutPayload {
  incidentId: string;
  victimIds: string[];
  compensationAccount: string;
  clearing: Record<string, string>;
  requestedBy: string;
}

/**
 * Remediation: each victim (a bank account) gets back exactly its loss — the successful charges on the incident's
 * fraudulent links — once. Balances left in the fraudulent wallets and in the recipients they paid (each recipient
 * up to what it received) are returned first; the compensation account pays the shortfall, whose cost is split
 * between operator and bank by the bank's agreement. A payout is asked for by one operator and approved by a
 * second (ops' approvals); the approval's transaction writes the payout and its ledger holds (wallet and
 * compensation → the bank's clearing account, codes remediation_return and compensation); after it commits the
 * bank is credited (a saga like a withdrawal) and the holds are posted, or voided if the bank declines.
 */
export function createRemediation(deps: IncidentDeps, core: IncidentCore, agreements: Agreements) {
  const { db, clock } = deps;
  const inFlight = new Set<Promise<unknown>>();

  /**
   * The plan for every victim without a live payout, allocating the wallets' balances now: victims in order,
   * each taking from the fraudulent wallets that charged it, then from the recipients of those wallets.
   */
  async function computePlan(q: Q, incidentId: string, at: Date): Promise<VictimPlan[]> {
    const victims = await repo.victimsOf(q, incidentId);
    const live = new Map(
      (await repo.remediationsOf(q, incidentId)).filter((r) => r.status !== 'failed').map((r) => [r.victimKey, r]),
    );
    const wallets = await repo.incidentWallets(q, incidentId);
    const accounts = await repo.walletAccounts(
      q,
      wallets.map((w) => w.userId),
    );
    const remaining = new Map<string, number>();
    const taken = await takenFromRecipients(q, incidentId);
    for (const w of wallets) {
      const account = accounts.get(w.userId);
      if (!account) continue;
      const available = Number((await deps.ledger.available(q, account)).available);
      const cap = w.role === 'recipient' ? Math.max(0, w.tracedAmount - (taken.get(w.userId) ?? 0)) : available;
      remaining.set(w.userId, Math.max(0, Math.min(available, cap)));
    }
    const traces = await repo.tracesOf(q, incidentId);
    const claimed = await repo.claimedCharges(
      q,
      victims.flatMap((v) => v.charges.map((c) => c.id)),
    );
    const plans: VictimPlan[] = [];
    for (const v of victims) {
      const existing = live.get(v.key);
      const loss = existing ? existing.loss : lossOf(v, claimed);
      const sources: PlannedSource[] = [];
      if (!existing) {
        const recipients = traces
          .filter((t) => t.kind === 'transfer' && t.status === 'succeeded' && v.userIds.includes(t.fromUserId))
          .map((t) => t.counterparty);
        let need = loss;
        for (const userId of [...v.userIds, ...new Set(recipients)]) {
          const have = remaining.get(userId) ?? 0;
          const take = Math.min(need, have);
          const accountId = accounts.get(userId);
          if (take <= 0 || !accountId) continue;
          sources.push({ userId, accountId, amount: take });
          remaining.set(userId, have - take);
          need -= take;
        }
      }
      const returnable = existing ? existing.returned : sources.reduce((s, x) => s + x.amount, 0);
      const shortfall = loss - returnable;
      plans.push({
        victimKey: v.key,
        bankCode: v.bankCode,
        branchCode: v.branchCode,
        accountNumberLast4: v.accountNumber.slice(-4),
        loss,
        returnable,
        shortfall,
        split: existing ? existing.split : await agreements.splitOf(v.bankCode, shortfall, at, q),
        sources,
        remediation: existing ? { id: existing.id, status: existing.status } : null,
      });
    }
    return plans;
  }

  async function takenFromRecipients(q: Q, incidentId: string): Promise<Map<string, number>> {
    const rows = await q
      .selectFrom('incident_remediations')
      .select('sources')
      .where('incident_id', '=', incidentId)
      .where('status', '<>', 'failed')
      .execute();
    const taken = new Map<string, number>();
    for (const r of rows)
      for (const s of JSON.parse(r.sources) as PlannedSource[])
        taken.set(s.userId, (taken.get(s.userId) ?? 0) + s.amount);
    return taken;
  }

  /** The plan as a viewer sees it (bank staff: its own bank's victims). */
  async function plan(viewer: Viewer, incidentId: string) {
    await core.getIncident(viewer, incidentId);
    const scope = bankScopeOf(viewer as never);
    const all = await computePlan(db, incidentId, clock.now());
    return all
      .filter((p) => !scope || p.bankCode === scope)
      .map(({ victimKey, sources, ...p }) => ({
        victimId: repo.victimIdOf(victimKey),
        ...p,
        sources: sources.map((s) => ({ userId: s.userId, amount: s.amount })),
      }));
  }

  /**
   * Asks a second operator to approve paying these victims (default: every victim without a live payout).
   * Refused at once when the incident is closed or nobody is left to pay.
   */
  async function requestPayout(
    operatorId: string,
    incidentId: string,
    input: { victimIds?: string[]; reason: string },
  ) {
    const incident = await core.getIncident({ id: operatorId, role: 'admin' }, incidentId);
    if (incident.status !== 'open')
      throw new AppError('invalid_state', 'the incident is closed: nothing more is paid from it', {
        status: incident.status,
      });
    const plans = await computePlan(db, incidentId, clock.now());
    const open = plans.filter((p) => p.remediation === null && p.loss > 0);
    const byId = new Map(open.map((p) => [repo.victimIdOf(p.victimKey), p]));
    const wanted = input.victimIds ?? [...byId.keys()];
    const paid = wanted.filter((v) => !byId.has(v));
    if (paid.length > 0)
      throw new AppError(
        'invalid_state',
        'these victims are paid or being paid already, or are not victims of this incident',
        {
          victimIds: paid,
        },
      );
    if (wanted.length === 0) throw new AppError('invalid_state', 'every victim of this incident is paid or being paid');
    const banks = [...new Set(wanted.map((v) => byId.get(v)!.bankCode))];
    const clearing: Record<string, string> = {};
    for (const b of banks) clearing[b] = await deps.ledger.bankClearingAccount(db, b);
    const payload: PayoutPayload = {
      incidentId,
      victimIds: [...wanted].sort(),
      compensationAccount: await deps.ledger.systemAccount(db, 'compensation'),
      clearing,
      requestedBy: operatorId,
    };
    const target = `${incidentId}:${createHash('sha256').update(payload.victimIds.join(',')).digest('hex').slice(0, 16)}`;
    return deps.approvals.requestApproval(undefined, {
      action: PAYOUT_ACTION,
      target,
      payload: payload as unknown as Record<string, unknown>,
      requestedBy: operatorId,
      reason: input.reason,
    });
  }

  /**
   * The approved payout, in the approval's transaction (`trx` only): one payout row per victim (the unique index
   * refuses a second live one), its charges claimed (each charge once across incidents), and the ledger holds.
   * The bank is credited after the commit.
   */
  async function executePayout(trx: Transaction<DB>, raw: Record<string, unknown>, ctx: ApprovalContext) {
    const p = raw as unknown as PayoutPayload;
    const incident = await repo.findIncident(trx, p.incidentId, true);
    if (!incident) throw new AppError('not_found', `no incident ${p.incidentId}`);
    if (incident.status !== 'open')
      throw new AppError('invalid_state', 'the incident is closed: nothing more is paid from it');
    const plans = await computePlan(trx, p.incidentId, ctx.at);
    const byId = new Map(plans.map((x) => [repo.victimIdOf(x.victimKey), x]));
    const victims = await repo.victimsOf(trx, p.incidentId);
    const ids: string[] = [];
    for (const victimId of p.victimIds) {
      const plan = byId.get(victimId);
      if (!plan || plan.remediation !== null || plan.loss <= 0)
        throw new AppError('invalid_state', 'a victim of this payout is paid or being paid already', { victimId });
      const v = victims.find((x) => x.key === plan.victimKey)!;
      ids.push(await writePayout(trx, p, plan, v, ctx));
    }
    ctx.afterCommit(() => void sendPayouts(ids));
    return { remediations: ids, victims: ids.length };
  }

  async function writePayout(
    trx: Transaction<DB>,
    p: PayoutPayload,
    plan: VictimPlan,
    v: Victim,
    ctx: ApprovalContext,
  ): Promise<string> {
    const id = deps.newId('rem');
    const clearing = p.clearing[plan.bankCode];
    if (!clearing) throw new AppError('internal_error', `no clearing account for bank ${plan.bankCode} in the payout`);
    const inserted = await trx
      .insertInto('incident_remediations')
      .values({
        id,
        incident_id: p.incidentId,
        victim_key: plan.victimKey,
        bank_code: v.bankCode,
        branch_code: v.branchCode,
        account_type: v.accountType,
        account_number: v.accountNumber,
        loss: plan.loss,
        returned: plan.returnable,
        compensated: plan.shortfall,
        operator_share: plan.split.operatorShare,
        bank_share: plan.split.bankShare,
        operator_share_pct: plan.split.operatorSharePct,
        bank_share_pct: plan.split.bankSharePct,
        agreement_id: plan.split.agreementId,
        sources: JSON.stringify(plan.sources),
        hold_ids: '[]',
        approval_id: ctx.approval.id,
        requested_by: p.requestedBy,
        approved_by: ctx.approver.id,
        created_at: ctx.at,
        updated_at: ctx.at,
      })
      // The index's predicate as a literal: PostgreSQL infers a partial unique index only from the same expression, not
      // from a bound parameter.
      .onConflict((oc) => oc.columns(['incident_id', 'victim_key']).where(sql<boolean>`status <> 'failed'`).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted)
      throw new AppError('invalid_state', 'this victim is paid or being paid already', { victimKey: plan.victimKey });
    const claimed = await repo.claimedCharges(
      trx,
      v.charges.map((c) => c.id),
    );
    const claims = v.charges.filter((c) => !claimed.has(c.id));
    if (claims.length > 0)
      await trx
        .insertInto('incident_remediation_charges')
        .values(claims.map((c) => ({ remediation_id: id, charge_id: c.id, amount: c.amount })))
        .execute();
    const holds = await deps.ledger.transfer(
      trx,
      [
        ...plan.sources.map((s) => ({
          debitAccountId: s.accountId,
          creditAccountId: clearing,
          amount: yen(s.amount),
          code: REMEDIATION_RETURN,
          refId: id,
        })),
        ...(plan.shortfall > 0
          ? [
              {
                debitAccountId: p.compensationAccount,
                creditAccountId: clearing,
                amount: yen(plan.shortfall),
                code: COMPENSATION,
                refId: id,
              },
            ]
          : []),
      ],
      'pending',
    );
    await trx
      .updateTable('incident_remediations')
      .set({ hold_ids: JSON.stringify(holds.map((h) => h.id)) })
      .where('id', '=', id)
      .execute();
    return id;
  }

  /** Sends held payouts to the bank; each payout is claimed (held → pending) by exactly one sender. */
  function sendPayouts(ids: string[]): Promise<void> {
    const run = (async () => {
      for (const id of ids)
        await send(id).catch((e) => deps.alert?.('incident payout failed', { id, error: String(e) }));
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return run;
  }

  async function send(id: string): Promise<void> {
    const now = clock.now();
    const row = await db
      .updateTable('incident_remediations')
      .set({ status: 'pending', bank_called_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'held')
      .returningAll()
      .executeTakeFirst();
    if (!row) return;
    const account = {
      bankCode: row.bank_code,
      branchCode: row.branch_code,
      accountType: row.account_type as 'ordinary',
      accountNumber: row.account_number,
    };
    try {
      const outcome = await deps.bank.credit({
        account,
        amount: yen(Number(row.loss)),
        reference: id,
        descriptor: descriptorFor(id),
      });
      await settle(
        id,
        outcome.outcome === 'succeeded' ? 'post' : 'void',
        outcome.outcome === 'declined' ? outcome.code : null,
      );
    } catch (e) {
      if (e instanceof BankUnavailableError) {
        // Nothing happened at the bank: the payout waits, held, for the next pass.
        await db
          .updateTable('incident_remediations')
          .set({ status: 'held', bank_called_at: null, updated_at: clock.now() })
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .execute();
        return;
      }
      // A timeout or anything unexpected: the outcome is unknown; the next pass asks the bank.
      if (!(e instanceof BankTimeoutError)) deps.alert?.('incident payout: bank call failed', { id, error: String(e) });
    }
  }

  /** pending → succeeded (holds posted) or failed (holds voided, its charges free to be paid again), once. */
  async function settle(id: string, outcome: 'post' | 'void', failureCode: string | null): Promise<boolean> {
    return inTransaction(db, async (trx) => {
      const row = await trx
        .updateTable('incident_remediations')
        .set({
          status: outcome === 'post' ? 'succeeded' : 'failed',
          failure_code: outcome === 'void' ? failureCode : null,
          updated_at: clock.now(),
        })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returning('hold_ids')
        .executeTakeFirst();
      if (!row) return false;
      for (const hold of JSON.parse(row.hold_ids) as string[]) await deps.ledger.resolvePending(trx, hold, outcome);
      if (outcome === 'void')
        await trx
          .updateTable('incident_remediation_charges')
          .set({ released: true })
          .where('remediation_id', '=', id)
          .execute();
      return true;
    });
  }

  /**
   * The periodic pass (and what a restart runs): waits for sends in flight, sends every held payout, and asks the
   * bank about every payout whose call outlived `graceMs` (succeeded → post; declined or never applied → void).
   */
  async function settlePayouts(graceMs = 30_000) {
    await Promise.allSettled([...inFlight]);
    const held = await db
      .selectFrom('incident_remediations')
      .select('id')
      .where('status', '=', 'held')
      .orderBy('id')
      .execute();
    await sendPayouts(held.map((r) => r.id));
    const cutoff = new Date(clock.now().getTime() - graceMs);
    const pending = await db
      .selectFrom('incident_remediations')
      .select(['id', 'bank_code'])
      .where('status', '=', 'pending')
      .where('bank_called_at', '<=', cutoff)
      .orderBy('id')
      .execute();
    const tally = { sent: held.length, posted: 0, voided: 0, unknown: 0 };
    for (const r of pending) {
      const answer = await deps.bank.inquire(r.bank_code, r.id).catch(() => undefined);
      if (!answer) {
        tally.unknown++;
        continue;
      }
      const outcome = answer.outcome === 'succeeded' ? 'post' : 'void';
      const code = answer.outcome === 'declined' ? answer.code : answer.outcome === 'not_found' ? 'bank_timeout' : null;
      if (await settle(r.id, outcome, code)) tally[outcome === 'post' ? 'posted' : 'voided']++;
    }
    return tally;
  }

  return { plan, computePlan, requestPayout, executePayout, settlePayouts };
}
export type Remediations = ReturnType<typeof createRemediation>;

/** Charges another incident already made good are not this incident's loss (nothing is paid twice). */
const lossOf = (v: Victim, claimed: Set<string>): number =>
  v.charges.filter((c) => !claimed.has(c.id)).reduce((sum, c) => sum + c.amount, 0);
