import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import { type ListKind, type StoredEvent, eventsAfter } from '../risk/index.ts';
import { REVIEW_KINDS, type ReviewKind } from '../wallet/index.ts';
import * as repo from './repository.ts';
import { RELATED_BY, type CaseView, type RelatedBy, type RiskReviewView } from './types.ts';

type Q = Kysely<DB> | Transaction<DB>;

/** Related events shown per field (device, IP, bank account, payee). */
export const RELATED_LIMIT = 20;
/** The object's own stored events read at most (a decision and, say, its denied retries). */
const OBJECT_EVENTS = 20;

/** The money object or bank link a risk review holds (details.object, details.objectId), if the case is one. */
export function reviewTarget(c: CaseView): { kind: ReviewKind | 'bank_link'; id: string } | undefined {
  const kind = c.details.object;
  const id = c.details.objectId;
  if (c.kind !== 'risk_review' || typeof id !== 'string') return undefined;
  if (kind === 'bank_link') return { kind, id };
  return (REVIEW_KINDS as readonly unknown[]).includes(kind) ? { kind: kind as ReviewKind, id } : undefined;
}

/** The wallets a case is about: a review's or detection's user, or the wallets a report froze. */
export function caseUsers(c: CaseView): string[] {
  if (typeof c.details.userId === 'string') return [c.details.userId];
  const frozen = c.details.frozenWallets;
  return Array.isArray(frozen) ? frozen.filter((u): u is string => typeof u === 'string') : [];
}

/** The money objects a case is about: a review's object, or the charges a report held. */
export function caseObjects(c: CaseView): string[] {
  const target = reviewTarget(c);
  if (target) return [target.id];
  const held = c.details.heldCharges;
  return Array.isArray(held) ? held.filter((o): o is string => typeof o === 'string') : [];
}

/** The stored risk events of a case's object, newest first. */
export async function objectEvents(q: Q, c: CaseView): Promise<StoredEvent[]> {
  const target = reviewTarget(c);
  if (!target) return [];
  const events = await eventsAfter(q, { afterSeq: 0, limit: OBJECT_EVENTS, objectId: target.id });
  return events.reverse();
}

/** A risk review's evidence: the object's events (event, signals, reasons, decision, shadow) and related events. */
export async function reviewView(q: Q, c: CaseView): Promise<RiskReviewView | undefined> {
  const target = reviewTarget(c);
  if (!target) return undefined;
  const events = await objectEvents(q, c);
  const related = { device: [], ip: [], bankAccount: [], recipient: [] } as RiskReviewView['related'];
  const latest = events[0]?.event;
  if (latest)
    for (const by of Object.keys(RELATED_BY) as RelatedBy[]) {
      const value = latest[RELATED_BY[by]];
      if (value) related[by] = await repo.relatedEvents(q, by, value, target.id, RELATED_LIMIT);
    }
  return { events: events.map(repo.reviewEvent), related };
}

/** The bank accounts a case names, in full ("bank-branch-account"): a report's account, or its object's. */
export async function caseBankAccounts(q: Q, c: CaseView): Promise<string[]> {
  const own = await repo.caseAccountKey(q, c.id);
  const fromEvents = (await objectEvents(q, c)).map((e) => e.event.bankAccount);
  return [...new Set([...(own ? [own] : []), ...fromEvents].filter((v) => v !== ''))];
}

/** The event field each list kind reads. */
const FIELD_OF: Record<ListKind, keyof StoredEvent['event']> = {
  user: 'userId',
  device: 'deviceId',
  ip: 'ip',
  email: 'email',
  phone: 'phone',
  bank_account: 'bankAccount',
  merchant: 'recipientId',
  recipient: 'recipientId',
};

/** The case's own value of a list kind (what "block this case's device" blocks). */
export async function caseValue(q: Q, c: CaseView, kind: ListKind): Promise<string> {
  const latest = (await objectEvents(q, c))[0]?.event;
  const fromEvent = latest ? String(latest[FIELD_OF[kind]] ?? '') : '';
  const fallback =
    kind === 'bank_account'
      ? ((await repo.caseAccountKey(q, c.id)) ?? '')
      : kind === 'user'
        ? (caseUsers(c)[0] ?? '')
        : typeof c.details[FIELD_OF[kind]] === 'string'
          ? String(c.details[FIELD_OF[kind]])
          : '';
  const value = fromEvent || fallback;
  if (!value)
    throw new AppError('invalid_request', `this case has no ${kind} of its own: give block.value`, {
      field: 'block.value',
    });
  return value;
}
