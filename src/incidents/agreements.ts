import type { Kysely, Transaction } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import type { CostAgreement, CostSplit, IncidentDeps } from './types.ts';

type Q = Kysely<DB> | Transaction<DB>;

/** With no agreement in force the operator carries the whole cost (victims are paid first, the split is settled later). */
const NO_AGREEMENT = { id: null, operatorSharePct: 100, bankSharePct: 0 } as const;

/**
 * Each bank's agreed split of compensation costs (bank_cost_agreements). A new agreement is a new row from its
 * effective date: history is kept, the row in force is the latest effective_from not after the time asked about.
 */
export function createAgreements(deps: IncidentDeps) {
  const { db, clock } = deps;

  async function inForce(bankCode: string, at: Date, q: Q = db): Promise<CostAgreement | undefined> {
    const r = await q
      .selectFrom('bank_cost_agreements')
      .selectAll()
      .where('bank_code', '=', bankCode)
      .where('effective_from', '<=', at)
      .orderBy('effective_from', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return r && toAgreement(r);
  }

  /** True when the bank has a cost-split agreement in force now (linking cannot be switched on without one). */
  async function hasCostAgreement(bankCode: string, q: Q = db): Promise<boolean> {
    return (await inForce(bankCode, clock.now(), q)) !== undefined;
  }

  async function recordAgreement(
    operatorId: string,
    input: { bankCode: string; operatorSharePct: number; bankSharePct: number; effectiveFrom?: Date; note: string },
  ): Promise<CostAgreement> {
    const note = input.note.trim();
    if (!note) throw new AppError('reason_required', 'say what the agreement is (note: the contract or minutes)');
    const pcts = [input.operatorSharePct, input.bankSharePct];
    if (
      pcts.some((p) => !Number.isInteger(p) || p < 0 || p > 100) ||
      input.operatorSharePct + input.bankSharePct !== 100
    )
      throw new AppError(
        'invalid_request',
        'the operator’s and the bank’s shares are whole percentages adding up to 100',
        {
          field: 'operatorSharePct',
        },
      );
    if (!(await deps.bankConfigured(input.bankCode)))
      throw new AppError('unknown_bank', `bank ${input.bankCode} is not configured in Saifu`, {
        bankCode: input.bankCode,
      });
    const now = clock.now();
    const row = {
      id: deps.newId('cag'),
      bank_code: input.bankCode,
      operator_share_pct: input.operatorSharePct,
      bank_share_pct: input.bankSharePct,
      effective_from: input.effectiveFrom ?? now,
      recorded_by: operatorId,
      note,
      created_at: now,
    };
    await inTransaction(db, async (trx) => {
      await trx.insertInto('bank_cost_agreements').values(row).execute();
      await deps.audit(trx, {
        actor: operatorId,
        action: 'incident.cost_agreement',
        target: input.bankCode,
        details: {
          agreementId: row.id,
          operatorSharePct: row.operator_share_pct,
          bankSharePct: row.bank_share_pct,
          effectiveFrom: row.effective_from.toISOString(),
          note,
        },
      });
    });
    return toAgreement(row);
  }

  async function listAgreements(bankCode?: string): Promise<CostAgreement[]> {
    let q = db.selectFrom('bank_cost_agreements').selectAll().orderBy('bank_code').orderBy('effective_from', 'desc');
    if (bankCode) q = q.where('bank_code', '=', bankCode);
    return (await q.execute()).map(toAgreement);
  }

  /** The split of a compensation amount under the bank's agreement at `at`: the operator's share rounded down. */
  async function splitOf(bankCode: string, compensated: number, at: Date, q: Q = db): Promise<CostSplit> {
    const a = (await inForce(bankCode, at, q)) ?? NO_AGREEMENT;
    const operatorShare = Math.floor((compensated * a.operatorSharePct) / 100);
    return {
      operatorSharePct: a.operatorSharePct,
      bankSharePct: a.bankSharePct,
      operatorShare,
      bankShare: compensated - operatorShare,
      agreementId: a.id,
    };
  }

  return { hasCostAgreement, recordAgreement, listAgreements, splitOf, inForce };
}
export type Agreements = ReturnType<typeof createAgreements>;

function toAgreement(r: {
  id: string;
  bank_code: string;
  operator_share_pct: number;
  bank_share_pct: number;
  effective_from: Date | string;
  recorded_by: string;
  note: string;
  created_at: Date | string;
}): CostAgreement {
  return {
    id: r.id,
    bankCode: r.bank_code,
    operatorSharePct: r.operator_share_pct,
    bankSharePct: r.bank_share_pct,
    effectiveFrom: new Date(r.effective_from).toISOString(),
    recordedBy: r.recorded_by,
    note: r.note,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
