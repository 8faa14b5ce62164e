import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';

type Q = Kysely<DB> | Transaction<DB>;
export type RuleSetRow = Awaited<ReturnType<typeof ruleSet>>;

const COLUMNS = [
  'version',
  'status',
  'yaml',
  'note',
  'created_by',
  'approved_by',
  'created_at',
  'published_at',
] as const;

export const ruleSet = (q: Q, version: number) =>
  q.selectFrom('risk_rule_sets').select(COLUMNS).where('version', '=', version).executeTakeFirst();

export const ruleSetForUpdate = (trx: Transaction<DB>, version: number) =>
  trx.selectFrom('risk_rule_sets').select(COLUMNS).where('version', '=', version).forUpdate().executeTakeFirst();

/** Newest first, without the YAML (it is fetched per version). */
export const ruleSets = (q: Q, limit: number) =>
  q
    .selectFrom('risk_rule_sets')
    .select(['version', 'status', 'note', 'created_by', 'approved_by', 'created_at', 'published_at'])
    .orderBy('version', 'desc')
    .limit(limit)
    .execute();

export const publishedVersion = async (q: Q): Promise<number> =>
  (await q.selectFrom('risk_rule_sets').select('version').where('status', '=', 'published').executeTakeFirst())
    ?.version ?? 0;

/** The next version number; two drafts racing for it collide on the primary key and the later one retries. */
export async function insertDraft(
  trx: Transaction<DB>,
  d: { yaml: string; note: string; createdBy: string; at: Date },
): Promise<number> {
  const last = await trx
    .selectFrom('risk_rule_sets')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  const version = Number(last?.v ?? 0) + 1;
  await trx
    .insertInto('risk_rule_sets')
    .values({ version, status: 'draft', yaml: d.yaml, note: d.note, created_by: d.createdBy, created_at: d.at })
    .execute();
  return version;
}

/** Retires the published version (if any) and publishes `version`; approved_by is set only on first publication. */
export async function markPublished(
  trx: Transaction<DB>,
  version: number,
  o: { approvedBy?: string; at: Date },
): Promise<void> {
  await trx.updateTable('risk_rule_sets').set({ status: 'retired' }).where('status', '=', 'published').execute();
  await trx
    .updateTable('risk_rule_sets')
    .set({
      status: 'published',
      shadow: false,
      published_at: o.at,
      ...(o.approvedBy ? { approved_by: o.approvedBy } : {}),
    })
    .where('version', '=', version)
    .execute();
}

/** The draft shadowed on live traffic, if any. */
export const shadowRuleSet = (q: Q) =>
  q.selectFrom('risk_rule_sets').select(['version', 'yaml']).where('shadow', '=', true).executeTakeFirst();

/** Makes `version` the shadowed draft (null: none); returns the previous one. */
export async function setShadow(trx: Transaction<DB>, version: number | null): Promise<number | null> {
  const previous = await trx
    .updateTable('risk_rule_sets')
    .set({ shadow: false })
    .where('shadow', '=', true)
    .returning('version')
    .executeTakeFirst();
  if (version !== null)
    await trx.updateTable('risk_rule_sets').set({ shadow: true }).where('version', '=', version).execute();
  return previous?.version ?? null;
}
