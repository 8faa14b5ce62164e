import type { Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Decision, RiskEvent, Signals } from '../risk/index.ts';
import { AppError } from '../platform/index.ts';
import type { Actor, RiskVerdict } from './types.ts';

/**
 * The risk engine as the money flows see it: one call that scores an event before money moves. The composition
 * root binds it to src/risk (which records the event in its velocity counters, adds what they know to the signals
 * given here, and decides on the rule set in force); wallet knows nothing of rules, counters or rule sets.
 */
export interface RiskPort {
  assess(event: RiskEvent, signals: Partial<Signals>): Promise<Decision>;
}

/** Where a `review` decision goes: a case in the review queue (cases area), opened in the money transaction. */
export type OpenReviewCase = (trx: Transaction<DB>, details: Record<string, unknown>) => Promise<string>;

/** What objects from before the engine (and flows run without one) show. */
export const ALLOWED: RiskVerdict = { decision: 'allow', score: 0, reasons: [], ruleSetVersion: 0 };

const HOUR_MS = 3_600_000;
/** Hours from an instant to now (0 if it is in the future); undefined when the instant is unknown. */
export const hoursSince = (at: Date | string | null | undefined, now: Date): number | undefined =>
  at ? Math.max(0, (now.getTime() - new Date(at).getTime()) / HOUR_MS) : undefined;

/** The event's common fields from the actor: who, from which device and address. */
export function eventOf(
  actor: Actor,
  e: Pick<RiskEvent, 'type' | 'amount'> & Partial<Pick<RiskEvent, 'linkId' | 'recipientId' | 'recipientKind'>>,
): RiskEvent {
  return {
    linkId: '',
    recipientId: '',
    recipientKind: '',
    ...e,
    userId: actor.id,
    deviceId: actor.source?.deviceId ?? '',
    ip: actor.source?.ip ?? '',
  };
}

/** What the actor says about itself: account age and verification level. */
export function actorSignals(actor: Actor, now: Date): Partial<Signals> {
  const accountAgeHours = hoursSince(actor.createdAt, now);
  return { verification: actor.verification, ...(accountAgeHours !== undefined ? { accountAgeHours } : {}) };
}

/** What the link used by the event says: hours since it was activated. */
export function linkSignals(link: { activatedAt?: Date | string | null }, now: Date): Partial<Signals> {
  const linkAgeHours = hoursSince(link.activatedAt, now);
  return linkAgeHours !== undefined ? { linkAgeHours } : {};
}

/**
 * Scores one money event. `deny` is refused here (422 risk_denied): the caller calls this inside its transaction
 * before any row is written, so the refusal stores nothing. Without a port every event is allowed.
 */
export async function assessMoney(
  port: RiskPort | undefined,
  event: RiskEvent,
  signals: Partial<Signals>,
): Promise<RiskVerdict> {
  if (!port) return ALLOWED;
  const d = await port.assess(event, signals);
  const verdict: RiskVerdict = {
    decision: d.decision,
    score: d.score,
    reasons: d.reasons.map((r) => ({ rule: r.rule, message: r.message })),
    ruleSetVersion: d.ruleSetVersion,
  };
  if (d.decision === 'deny')
    throw new AppError('risk_denied', 'this money movement was refused by our risk checks', {
      score: verdict.score,
      reasons: verdict.reasons,
      ruleSetVersion: verdict.ruleSetVersion,
    });
  return verdict;
}

/** Opens the review case of an `in_review` object (in the caller's transaction); a no-op without a queue. */
export async function openRiskReview(
  open: OpenReviewCase | undefined,
  trx: Transaction<DB>,
  object: { kind: 'charge' | 'payment' | 'transfer' | 'withdrawal'; id: string; userId: string; amount: number },
  verdict: RiskVerdict,
): Promise<string | undefined> {
  return open?.(trx, {
    object: object.kind,
    objectId: object.id,
    userId: object.userId,
    amount: object.amount,
    risk: verdict,
  });
}

/**
 * The one enforcement rule for every money object: a review holds it for an analyst; a challenge (unless the
 * session already holds a fresh factor) or a plain factor rule (`needsFactor`) makes it wait for one; otherwise it
 * proceeds (`pending` at the bank, or `succeeded`).
 */
export function statusFor<P extends 'pending' | 'succeeded'>(
  risk: RiskVerdict,
  o: { needsFactor: boolean; elevated: boolean },
  proceed: P,
): 'in_review' | 'requires_action' | P {
  if (risk.decision === 'review') return 'in_review';
  if (o.needsFactor || (risk.decision === 'challenge' && !o.elevated)) return 'requires_action';
  return proceed;
}

export const riskColumn = (v: RiskVerdict): string => JSON.stringify(v);

export function riskFromColumn(s: string | null | undefined): RiskVerdict {
  if (!s) return ALLOWED;
  try {
    const v = JSON.parse(s) as Partial<RiskVerdict>;
    return {
      decision: v.decision ?? 'allow',
      score: v.score ?? 0,
      reasons: v.reasons ?? [],
      ruleSetVersion: v.ruleSetVersion ?? 0,
    };
  } catch {
    return ALLOWED;
  }
}
