import type { Kysely, Selectable, Transaction } from 'kysely';
import type { BankSettingsTable, DB } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import { findBank, listBanks, listBranches } from './registry/index.ts';

/** The three per-bank switches an operator can move; an absent key leaves that switch as it is. */
export interface BankSwitches {
  linking?: boolean;
  charging?: boolean;
  registrationChanges?: boolean;
}

/** A bank as Saifu is configured for it (bank_settings), in the API's shape. */
export interface BankView {
  code: string;
  participating: boolean;
  authMethod: string | null;
  linking: boolean;
  charging: boolean;
  registrationChanges: boolean;
  perChargeLimit: number | null;
  monthlyLimit: number | null;
  coolingOffDays: number | null;
  newLinkDailyLimit: number | null;
  updatedAt: string;
}

export interface SwitchChange {
  id: string;
  bankCode: string;
  changes: BankSwitches;
  reason: string;
  actor: string;
  at: string;
}

/** One page of a list, newest first (docs/api.md: `?limit&starting_after`, `{data, has_more}`). */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/**
 * bank_settings and bank_switch_changes: read and written only here. Nothing caches a bank's row: linking,
 * authorization, charges and unlinking each read it when they run, so an operator's switch applies to every
 * request that reads after it commits. Keep it so: a cache would let a stopped bank keep charging.
 */
export function createBankSettings(deps: { db: Kysely<DB> }) {
  const { db } = deps;

  async function settingsOf(code: string, q: Kysely<DB> | Transaction<DB> = db): Promise<BankView | undefined> {
    const row = await q.selectFrom('bank_settings').selectAll().where('bank_code', '=', code).executeTakeFirst();
    return row ? toBank(row) : undefined;
  }

  async function listSettings(): Promise<BankView[]> {
    return (await db.selectFrom('bank_settings').selectAll().orderBy('bank_code').execute()).map(toBank);
  }

  /** Moves the given switches and records why, in the caller's transaction; undefined when the bank is not configured. */
  async function changeSwitches(
    trx: Transaction<DB>,
    c: { id: string; bankCode: string; changes: BankSwitches; reason: string; actor: string; at: Date },
  ): Promise<BankView | undefined> {
    if (c.changes.linking === true) await assertLinkingMayStart(trx, c.bankCode);
    const row = await trx
      .updateTable('bank_settings')
      .set({
        ...(c.changes.linking !== undefined ? { linking: c.changes.linking } : {}),
        ...(c.changes.charging !== undefined ? { charging: c.changes.charging } : {}),
        ...(c.changes.registrationChanges !== undefined ? { registration_changes: c.changes.registrationChanges } : {}),
        updated_at: c.at,
      })
      .where('bank_code', '=', c.bankCode)
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    await trx
      .insertInto('bank_switch_changes')
      .values({
        id: c.id,
        bank_code: c.bankCode,
        changes: JSON.stringify(c.changes),
        reason: c.reason,
        actor: c.actor,
        created_at: c.at,
      })
      .execute();
    return toBank(row);
  }

  /** A bank's switch history, newest first; ids are time-ordered, so they page. */
  async function switchHistory(code: string, limit: number, startingAfter?: string): Promise<Page<SwitchChange>> {
    let q = db
      .selectFrom('bank_switch_changes')
      .selectAll()
      .where('bank_code', '=', code)
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (startingAfter) q = q.where('id', '<', startingAfter);
    const rows = await q.execute();
    return {
      data: rows.slice(0, limit).map((r) => ({
        id: r.id,
        bankCode: r.bank_code,
        changes: JSON.parse(r.changes) as BankSwitches,
        reason: r.reason,
        actor: r.actor,
        at: new Date(r.created_at).toISOString(),
      })),
      hasMore: rows.length > limit,
    };
  }

  /**
   * The Zengin registry joined with the banks' settings (read on every call: an operator's switch shows at once).
   * `participating` filters; a bank is open for linking or charging only while it participates.
   */
  async function catalogue(f: { q?: string; participating?: boolean }): Promise<CatalogueEntry[]> {
    const settings = new Map((await listSettings()).map((b) => [b.code, b]));
    let banks = listBanks(f.q);
    if (f.participating !== undefined)
      banks = banks.filter((b) => (settings.get(b.code)?.participating ?? false) === f.participating);
    return banks.map((b) => {
      const st = settings.get(b.code);
      const participating = st?.participating ?? false;
      return {
        code: b.code,
        name: b.name,
        nameKana: b.nameKana,
        participating,
        authMethod: (st?.authMethod ?? null) as CatalogueEntry['authMethod'],
        linking: participating && (st?.linking ?? false),
        charging: participating && (st?.charging ?? false),
      };
    });
  }

  /** A bank's branches from the Zengin data (404 unknown_bank for a code that is not a bank). */
  function branches(code: string, q?: string): Array<{ code: string; name: string; nameKana: string }> {
    if (!findBank(code)) throw new AppError('unknown_bank', `no bank with code ${code}`, { bankCode: code });
    return (listBranches(code, q) ?? []).map((b) => ({ code: b.code, name: b.name, nameKana: b.nameKana }));
  }

  /**
   * Linking at a bank is not switched on (off → on) without what the precondition asks: the bank's cost-split
   * agreement for compensation (the incidents area, wired by the composition root). Already on stays allowed.
   */
  let linkingPrecondition: ((trx: Transaction<DB>, bankCode: string) => Promise<boolean>) | undefined;
  const requireForLinking = (check: (trx: Transaction<DB>, bankCode: string) => Promise<boolean>) => {
    linkingPrecondition = check;
  };
  async function assertLinkingMayStart(trx: Transaction<DB>, bankCode: string): Promise<void> {
    if (!linkingPrecondition) return;
    const now = await trx
      .selectFrom('bank_settings')
      .select('linking')
      .where('bank_code', '=', bankCode)
      .forUpdate()
      .executeTakeFirst();
    if (!now || now.linking || (await linkingPrecondition(trx, bankCode))) return;
    throw new AppError(
      'invalid_state',
      `bank ${bankCode} has no cost-split agreement in force: record one before switching linking on`,
      {
        bankCode,
        reason: 'cost_agreement_required',
      },
    );
  }

  return { settingsOf, listSettings, changeSwitches, switchHistory, catalogue, branches, requireForLinking };
}
export type BankSettings = ReturnType<typeof createBankSettings>;

// pg returns int8 as strings and PGlite as numbers: Number() gives the API the same value from both.
const intOrNull = (v: number | string | bigint | null): number | null => (v === null ? null : Number(v));

function toBank(r: Selectable<BankSettingsTable>): BankView {
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

/** A bank as wallet users see it in GET /v1/banks: the Zengin entry with whether and how it takes part. */
export interface CatalogueEntry {
  code: string;
  name: string;
  nameKana: string;
  participating: boolean;
  authMethod: 'otp' | 'app' | 'legacy_pin' | null;
  linking: boolean;
  charging: boolean;
}
