import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError } from '../platform/index.ts';

/**
 * The risk engine as identity sees it: a small port the composition root binds to src/risk (identity knows nothing
 * of rules, counters or rule sets). Absent = nothing is scored (the 2020 service, `risk: false`).
 */
export type IdentityEventType = 'signup' | 'login' | 'password_change' | 'phone_change' | 'ekyc';

/** Where a request comes from (X-Device-Id and the client IP, as the HTTP layer reads them). */
export interface RequestSource {
  deviceId?: string | undefined;
  ip?: string | undefined;
}

export interface IdentityRiskEvent {
  type: IdentityEventType;
  userId: string;
  deviceId: string;
  ip: string;
  email: string;
  phone: string;
}

/** What identity knows about the user at decision time; the engine adds what its counters know. */
export interface IdentityRiskSignals {
  accountAgeHours?: number;
  verification?: string;
}

/** A scored event as identity handles it: the decision, opaque otherwise (stored as given). */
export interface ScoredEvent {
  decision: 'allow' | 'challenge' | 'review' | 'deny';
  score: number;
  reasons: Array<{ rule: string; message: string }>;
  ruleSetVersion: number;
  /** False when the decision was taken but not applied. */
  enforced: boolean;
}

export interface IdentityRisk {
  assess(event: IdentityRiskEvent, signals: IdentityRiskSignals): Promise<ScoredEvent>;
  /** Stores the assessment in the caller's transaction (event row, restrictions). */
  record(trx: Transaction<DB>, a: ScoredEvent, objectId?: string): Promise<void>;
}

const HOUR_MS = 3_600_000;
export const hoursSince = (at: Date | string, now: Date) =>
  Math.max(0, (now.getTime() - new Date(at).getTime()) / HOUR_MS);

/**
 * Scores an identity event before anything changes. `deny` stores the denied assessment in a transaction of its
 * own (nothing else is written) and throws 422 risk_denied; otherwise the caller stores the assessment with the
 * change it describes. Identity has no way to hold a sign-up, a sign-in or a security change for review or for a
 * factor (the changes already need a step-up): such a decision is stored as taken but not enforced.
 */
export async function scoreIdentityEvent(
  risk: IdentityRisk | undefined,
  db: Kysely<DB>,
  event: IdentityRiskEvent,
  signals: IdentityRiskSignals,
  objectId?: string,
): Promise<ScoredEvent | undefined> {
  if (!risk) return undefined;
  const a = await risk.assess(event, signals);
  if (a.decision === 'deny') {
    await db.transaction().execute((trx) => risk.record(trx, { ...a, restrictions: [] } as ScoredEvent, objectId));
    throw new AppError('risk_denied', 'this request was refused by our risk checks', {
      score: a.score,
      reasons: a.reasons.map((r) => ({ rule: r.rule, message: r.message })),
      ruleSetVersion: a.ruleSetVersion,
    });
  }
  return a.decision === 'allow' ? a : { ...a, enforced: false };
}

/** Stores a scored event in the caller's transaction (a no-op without the engine). */
export async function recordScoredEvent(
  risk: IdentityRisk | undefined,
  trx: Transaction<DB>,
  a: ScoredEvent | undefined,
  objectId: string,
): Promise<void> {
  if (risk && a) await risk.record(trx, a, objectId);
}

/** The event's common fields. */
export const identityEvent = (
  type: IdentityEventType,
  user: { id: string; email: string; phone: string },
  source: RequestSource | undefined,
): IdentityRiskEvent => ({
  type,
  userId: user.id,
  deviceId: source?.deviceId ?? '',
  ip: source?.ip ?? '',
  email: user.email,
  phone: user.phone,
});
