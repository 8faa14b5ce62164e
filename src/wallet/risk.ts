import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Alongside } from '../ledger/index.ts';
import type { Assessment, Movement, RiskEvent, Signals, StoredRestriction } from '../risk/index.ts';
import { checkRestriction, describeRestriction } from '../risk/index.ts';
import { AppError } from '../platform/index.ts';
import type { Actor, RestrictionView, RiskVerdict } from './types.ts';

/**
 * The risk engine as the money flows see it: one call that scores an event before money moves. The composition
 * root binds it to src/risk (which records the event in its velocity counters, adds what they know to the signals
 * given here, and decides on the rule set in force); wallet knows nothing of rules, counters or rule sets.
 */
export interface RiskPort {
  assess(event: RiskEvent, signals: Partial<Signals>): Promise<Assessment>;
  /** Statements storing an assessment (event row, restrictions): into a single-statement movement. */
  statements(a: Assessment, objectId?: string): Alongside[];
  /** Stores an assessment in the caller's transaction. */
  record(trx: Transaction<DB>, a: Assessment, objectId?: string): Promise<void>;
  restrictionsInForce(q: Kysely<DB> | Transaction<DB>, userId: string): Promise<StoredRestriction[]>;
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
  e: Pick<RiskEvent, 'type' | 'amount'> &
    Partial<Pick<RiskEvent, 'linkId' | 'recipientId' | 'recipientKind' | 'bankAccount'>>,
): RiskEvent {
  return {
    linkId: '',
    recipientId: '',
    recipientKind: '',
    bankAccount: '',
    ...e,
    userId: actor.id,
    deviceId: actor.source?.deviceId ?? '',
    ip: actor.source?.ip ?? '',
    email: actor.email ?? '',
    phone: actor.phone ?? '',
    familyNameKana: '',
  };
}

/** A link's bank account as the risk engine keys it ("bank-branch-account"). */
export const bankAccountKey = (l: { bankCode: string; branchCode?: string | null; accountNumber?: string | null }) =>
  `${l.bankCode}-${l.branchCode ?? ''}-${l.accountNumber ?? ''}`;

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

/** A scored money event: the verdict the object shows, and the assessment to store with it. */
export interface Scored {
  verdict: RiskVerdict;
  assessment?: Assessment;
}

/** The verdict an object shows, with the restrictions its decision attached (and their expiry). */
export function verdictOf(a: Assessment): RiskVerdict {
  return {
    decision: a.decision,
    score: a.score,
    reasons: a.reasons.map((r) => ({ rule: r.rule, message: r.message })),
    ruleSetVersion: a.ruleSetVersion,
    ...(a.restrictions.length > 0
      ? {
          restrictions: a.restrictions.map((r) => ({
            type: r.type,
            ...(r.limit !== undefined ? { limit: r.limit } : {}),
            until: r.until.toISOString(),
            message: r.message,
          })),
        }
      : {}),
  };
}

/**
 * Scores one money event. `deny` is refused here (422 risk_denied): the caller calls this before any row is
 * written, so the refusal moves nothing; the flow's `storingDenials` stores the denied attempt as an event (for
 * back-tests and the queue). Without a port every event is allowed.
 */
export async function assessMoney(
  port: RiskPort | undefined,
  event: RiskEvent,
  signals: Partial<Signals>,
): Promise<Scored> {
  if (!port) return { verdict: ALLOWED };
  const assessment = await port.assess(event, signals);
  const verdict = verdictOf(assessment);
  if (assessment.decision === 'deny') {
    const e = new AppError('risk_denied', 'this money movement was refused by our risk checks', {
      score: verdict.score,
      reasons: verdict.reasons,
      ruleSetVersion: verdict.ruleSetVersion,
    });
    denials.set(e, assessment);
    throw e;
  }
  return { verdict, assessment };
}

/** Denied assessments by their error: stored once the caller's transaction has rolled back (`storingDenials`). */
const denials = new WeakMap<object, Assessment>();

/**
 * Runs a money flow; a `risk_denied` it throws is stored as an event (no restriction, nothing else) in a
 * transaction of its own after the flow's own transaction has rolled back, then rethrown.
 */
export async function storingDenials<T>(
  port: RiskPort | undefined,
  db: Kysely<DB>,
  flow: () => Promise<T>,
): Promise<T> {
  try {
    return await flow();
  } catch (e) {
    const assessment = typeof e === 'object' && e !== null ? denials.get(e) : undefined;
    if (port && assessment)
      await db.transaction().execute((trx) => port.record(trx, { ...assessment, restrictions: [] }));
    throw e;
  }
}

/**
 * What every money object does with its decision, in its own transaction: store the scored event with it and, for
 * a review, open the case in the review queue.
 */
export async function recordDecision(
  deps: { risk?: RiskPort | undefined; openReviewCase?: OpenReviewCase | undefined },
  trx: Transaction<DB>,
  scored: Scored,
  object: { kind: 'charge' | 'payment' | 'transfer' | 'withdrawal'; id: string; userId: string; amount: number },
  status: string,
): Promise<void> {
  await recordScored(deps.risk, trx, scored, object.id);
  if (status === 'in_review') await openRiskReview(deps.openReviewCase, trx, object, scored.verdict);
}

/** Stores a scored event with its object, in the object's transaction (a no-op without a port). */
export async function recordScored(
  port: RiskPort | undefined,
  trx: Transaction<DB>,
  s: Scored,
  objectId: string,
): Promise<void> {
  if (port && s.assessment) await port.record(trx, s.assessment, objectId);
}

/**
 * Refuses a movement a restriction in force forbids (422 with a code naming the restriction, its expiry in the
 * message and details). Read inside the money transaction, after the wallet lock.
 */
export async function assertNotRestricted(
  port: RiskPort | undefined,
  trx: Transaction<DB>,
  userId: string,
  m: Movement,
  now: Date,
  linkId?: string,
): Promise<void> {
  if (!port) return;
  const inForce = (await port.restrictionsInForce(trx, userId)).filter((r) => !r.linkId || r.linkId === linkId);
  if (inForce.length === 0) return;
  const r = checkRestriction(m, inForce, now);
  if (!r) return;
  throw new AppError(`restricted_${r.type}`, `${r.message} (until ${r.until.toISOString()})`, {
    restriction: r.type,
    ...(r.limit !== undefined ? { limit: r.limit } : {}),
    until: r.until.toISOString(),
  });
}

/** The restrictions in force on a wallet and its links, in plain words with their expiry (none without a port). */
export async function restrictionsOf(
  port: RiskPort | undefined,
  db: Kysely<DB>,
  userId: string,
): Promise<RestrictionView[]> {
  if (!port) return [];
  return (await port.restrictionsInForce(db, userId)).map((r) => ({
    type: r.type,
    ...(r.limit !== undefined ? { limit: r.limit } : {}),
    until: r.until.toISOString(),
    message: r.message,
    description: describeRestriction(r),
    ...(r.linkId ? { bankLinkId: r.linkId } : {}),
  }));
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
      ...(v.restrictions?.length ? { restrictions: v.restrictions } : {}),
    };
  } catch {
    return ALLOWED;
  }
}
