import type { NewId } from '../platform/index.ts';
import { type CompiledQuery, type Kysely, type OperationNode, type Transaction, sql } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Decision } from './decide.ts';
import type { Restriction } from './restrictions.ts';
import type { RestrictionType } from './rules.ts';
import type { RiskEvent, Signals } from './vocabulary.ts';

type Q = Kysely<DB> | Transaction<DB>;

/** What a shadowed draft would have decided (stored, never enforced). */
export interface ShadowDecision {
  version: number;
  decision: Decision['decision'];
  score: number;
  reasons: Decision['reasons'];
}

/** One scored event: the decision with what it was made on, as it is stored (risk_events). */
export interface Assessment extends Decision {
  /** The stored event's id. */
  id: string;
  at: Date;
  event: RiskEvent;
  signals: Signals;
  /** False when the decision was taken but not applied (the flow had no way to apply it). */
  enforced: boolean;
  shadow?: ShadowDecision;
}

/**
 * The statements that store an assessment: its event row and the restrictions it attached (a daily charge cap binds
 * the link the event used; the rest bind the wallet). Built on the root handle so they can join a single-statement
 * money movement (the ledger's `alongside`) or run in the caller's transaction (`runAll`).
 */
export function assessmentStatements(
  db: Kysely<DB>,
  a: Assessment,
  objectId: string | undefined,
  newId: NewId,
): Array<{ toOperationNode(): OperationNode; compile(): CompiledQuery }> {
  // Written as SQL rather than through the insert builder: this statement rides on every payment, and building and
  // compiling a 14-column insert node by node was a measurable share of the payment path. Same columns, same values.
  const event = sql`INSERT INTO risk_events (id, type, user_id, object_id, amount, occurred_at, event, signals, decision, score, reasons, rule_set_version, enforced, shadow) VALUES (${a.id}, ${a.event.type}, ${a.event.userId}, ${objectId ?? null}, ${a.event.amount}, ${a.at}, ${JSON.stringify(a.event)}, ${JSON.stringify(a.signals)}, ${a.decision}, ${a.score}, ${JSON.stringify(a.reasons)}, ${a.ruleSetVersion}, ${a.enforced}, ${a.shadow ? JSON.stringify(a.shadow) : null})`;
  const statements: Array<{ toOperationNode(): OperationNode; compile(): CompiledQuery }> = [
    { toOperationNode: () => event.toOperationNode(), compile: () => event.compile(db) },
  ];
  if (a.enforced && a.event.userId)
    for (const r of a.restrictions)
      statements.push(
        db.insertInto('risk_restrictions').values({
          id: newId('rst'),
          user_id: a.event.userId,
          link_id: r.type === 'charge_daily_cap' && a.event.linkId ? a.event.linkId : null,
          type: r.type,
          limit_yen: r.limit ?? null,
          until: r.until,
          message: r.message,
          rule: r.rule ?? '',
          event_id: a.id,
          created_at: a.at,
        }),
      );
  return statements;
}

/** Runs statements built by `assessmentStatements` in the caller's transaction. */
export async function runAll(trx: Transaction<DB>, statements: ReturnType<typeof assessmentStatements>): Promise<void> {
  for (const s of statements) await trx.executeQuery(s.compile());
}

export interface StoredRestriction extends Restriction {
  id: string;
  linkId: string | null;
  rule: string;
}

/** The restrictions on a wallet (and its links) in force at `now`, soonest expiry first. */
export async function restrictionsInForce(q: Q, userId: string, now: Date): Promise<StoredRestriction[]> {
  const rows = await q
    .selectFrom('risk_restrictions')
    .select(['id', 'link_id', 'type', 'limit_yen', 'until', 'message', 'rule'])
    .where('user_id', '=', userId)
    .where('until', '>', now)
    .orderBy('until')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    linkId: r.link_id,
    type: r.type as RestrictionType,
    ...(r.limit_yen != null ? { limit: Number(r.limit_yen) } : {}),
    until: new Date(r.until),
    message: r.message,
    rule: r.rule,
  }));
}

/** A stored event as back-tests and the review queue read it. */
export interface StoredEvent {
  id: string;
  seq: number;
  type: string;
  userId: string;
  objectId: string | null;
  amount: number;
  at: Date;
  event: RiskEvent;
  signals: Signals;
  decision: Decision['decision'];
  score: number;
  reasons: Decision['reasons'];
  ruleSetVersion: number;
  enforced: boolean;
  shadow: ShadowDecision | null;
  label: 'fraud' | 'not_fraud' | null;
}

type EventRow = {
  id: string;
  seq: string | number;
  type: string;
  user_id: string;
  object_id: string | null;
  amount: number | string;
  occurred_at: Date | string;
  event: string;
  signals: string;
  decision: Decision['decision'];
  score: number;
  reasons: string;
  rule_set_version: number;
  enforced: boolean;
  shadow: string | null;
  label: 'fraud' | 'not_fraud' | null;
};

export const toStoredEvent = (r: EventRow): StoredEvent => ({
  id: r.id,
  seq: Number(r.seq),
  type: r.type,
  userId: r.user_id,
  objectId: r.object_id,
  amount: Number(r.amount),
  at: new Date(r.occurred_at),
  event: JSON.parse(r.event) as RiskEvent,
  signals: JSON.parse(r.signals) as Signals,
  decision: r.decision,
  score: r.score,
  reasons: JSON.parse(r.reasons) as Decision['reasons'],
  ruleSetVersion: r.rule_set_version,
  enforced: r.enforced,
  shadow: r.shadow ? (JSON.parse(r.shadow) as ShadowDecision) : null,
  label: r.label,
});

export const EVENT_COLUMNS = [
  'id',
  'seq',
  'type',
  'user_id',
  'object_id',
  'amount',
  'occurred_at',
  'event',
  'signals',
  'decision',
  'score',
  'reasons',
  'rule_set_version',
  'enforced',
  'shadow',
  'label',
] as const;

/** Events in stream order (seq) after `afterSeq`, optionally within [from, to). */
export async function eventsAfter(
  q: Q,
  f: { afterSeq: number; limit: number; from?: Date; to?: Date; userId?: string; objectId?: string },
): Promise<StoredEvent[]> {
  let s = q.selectFrom('risk_events').select(EVENT_COLUMNS).where('seq', '>', f.afterSeq);
  if (f.from) s = s.where('occurred_at', '>=', f.from);
  if (f.to) s = s.where('occurred_at', '<', f.to);
  if (f.userId) s = s.where('user_id', '=', f.userId);
  if (f.objectId) s = s.where('object_id', '=', f.objectId);
  return (await s.orderBy('seq').limit(f.limit).execute()).map((r) => toStoredEvent(r as EventRow));
}

/** Labels the events of a money object or a user (an analyst, a holder's report, a bank's return). */
export async function labelEvents(
  trx: Transaction<DB>,
  where: { objectId?: string; userId?: string; eventId?: string },
  label: 'fraud' | 'not_fraud',
  by: string,
  at: Date,
): Promise<number> {
  let u = trx.updateTable('risk_events').set({ label, labelled_by: by, labelled_at: at });
  if (where.eventId) u = u.where('id', '=', where.eventId);
  else if (where.objectId) u = u.where('object_id', '=', where.objectId);
  else if (where.userId) u = u.where('user_id', '=', where.userId);
  else return 0;
  const r = await u.executeTakeFirst();
  return Number(r.numUpdatedRows);
}
