import type { Kysely } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import { decide } from './decide.ts';
import type { AuditPort } from './engine.ts';
import { type CompiledRuleSet, type Rule, type RuleAction, compileRule } from './rules.ts';
import { EVENT_COLUMNS, type StoredEvent, eventsAfter, toStoredEvent } from './store.ts';
import { type RiskEvent, type RiskEventType, type Signals, riskEvent, signalsOf, tokyoHour } from './vocabulary.ts';

type Counts = Record<RuleAction, number>;
const zero = (): Counts => ({ allow: 0, challenge: 0, review: 0, deny: 0 });
/** Review and deny stop the money (held or refused); challenge only asks for a second factor. */
const stops = (d: RuleAction) => d === 'review' || d === 'deny';
const MAX_EXAMPLES = 10;

export interface BacktestReport {
  version: number;
  /** Events replayed. */
  events: number;
  decisions: Counts;
  /**
   * New decisions by label. Actual fraud = label `fraud`; predicted positive = review or deny (challenge is counted
   * in its own column and, in the four cells, as not stopped). Unlabelled events are never counted as honest.
   */
  confusion: {
    byLabel: { fraud: Counts; not_fraud: Counts; unlabelled: Counts };
    truePositives: number;
    falsePositives: number;
    falseNegatives: number;
    trueNegatives: number;
    /** TP / (TP + FP); null when nothing labelled was stopped. */
    precision: number | null;
    /** TP / (TP + FN); null when nothing is labelled fraud. */
    recall: number | null;
  };
  yen: {
    /** Amounts of fraud-labelled events the set would review or deny. */
    fraudStopped: number;
    /** Amounts of all fraud-labelled events. */
    fraudTotal: number;
    /** Amounts of every event the set would review or deny, whatever its label. */
    stopped: number;
  };
  /** Distinct users of events not labelled fraud (honest or unlabelled) whose new decision is not allow. */
  honestUsersAffected: number;
  /**
   * Events whose stored decision was made by this very version, and how many the replay decides the same way (same
   * decision, score and fired rules). Anything below 100 % means the replay is not point-in-time.
   */
  agreement: { compared: number; agreed: number; rate: number | null };
  /** Events whose new decision differs from the stored one (any stored version). */
  changed: number;
  examples: Array<{
    eventId: string;
    type: string;
    userId: string;
    storedDecision: RuleAction;
    storedVersion: number;
    decision: RuleAction;
    rules: string[];
  }>;
  /** Rules that failed at run time, with how many events they failed on. */
  ruleErrors: Record<string, number>;
}

const sameReasons = (a: StoredEvent['reasons'], b: StoredEvent['reasons']) =>
  a.length === b.length && a.every((r, i) => r.rule === b[i]?.rule);

/**
 * Accumulates a back-test of `set` over stored events given in any number of batches: each event's `event` and
 * `signals` as stored are decided again at the time stored (point in time), and only counts are kept (plus the
 * distinct honest users affected and ten examples), so a million events need not be held at once.
 */
export function createBacktest(set: CompiledRuleSet) {
  const decisions = zero();
  const byLabel = { fraud: zero(), not_fraud: zero(), unlabelled: zero() };
  const yen = { fraudStopped: 0, fraudTotal: 0, stopped: 0 };
  const honestUsers = new Set<string>();
  const agreement = { compared: 0, agreed: 0 };
  const examples: BacktestReport['examples'] = [];
  const ruleErrors: Record<string, number> = {};
  let events = 0;
  let changed = 0;

  function add(stored: readonly StoredEvent[]): void {
    for (const e of stored) {
      const d = decide(e.event, e.signals, set, e.at);
      events++;
      decisions[d.decision]++;
      byLabel[e.label ?? 'unlabelled'][d.decision]++;
      const stopped = stops(d.decision);
      if (stopped) yen.stopped += e.amount;
      if (e.label === 'fraud') {
        yen.fraudTotal += e.amount;
        if (stopped) yen.fraudStopped += e.amount;
      } else if (d.decision !== 'allow') honestUsers.add(e.userId);
      for (const err of d.errors) ruleErrors[err.rule] = (ruleErrors[err.rule] ?? 0) + 1;
      if (e.ruleSetVersion === set.version) {
        agreement.compared++;
        if (d.decision === e.decision && d.score === e.score && sameReasons(d.reasons, e.reasons)) agreement.agreed++;
      }
      if (d.decision !== e.decision) {
        changed++;
        if (examples.length < MAX_EXAMPLES)
          examples.push({
            eventId: e.id,
            type: e.type,
            userId: e.userId,
            storedDecision: e.decision,
            storedVersion: e.ruleSetVersion,
            decision: d.decision,
            rules: d.reasons.map((r) => r.rule),
          });
      }
    }
  }

  function report(): BacktestReport {
    const tp = byLabel.fraud.review + byLabel.fraud.deny;
    const fn = byLabel.fraud.allow + byLabel.fraud.challenge;
    const fp = byLabel.not_fraud.review + byLabel.not_fraud.deny;
    const tn = byLabel.not_fraud.allow + byLabel.not_fraud.challenge;
    return {
      version: set.version,
      events,
      decisions: { ...decisions },
      confusion: {
        byLabel: {
          fraud: { ...byLabel.fraud },
          not_fraud: { ...byLabel.not_fraud },
          unlabelled: { ...byLabel.unlabelled },
        },
        truePositives: tp,
        falsePositives: fp,
        falseNegatives: fn,
        trueNegatives: tn,
        precision: tp + fp > 0 ? tp / (tp + fp) : null,
        recall: tp + fn > 0 ? tp / (tp + fn) : null,
      },
      yen: { ...yen },
      honestUsersAffected: honestUsers.size,
      agreement: {
        ...agreement,
        rate: agreement.compared > 0 ? agreement.agreed / agreement.compared : null,
      },
      changed,
      examples: [...examples],
      ruleErrors: { ...ruleErrors },
    };
  }

  return { add, report };
}

/** Replays stored events on a rule set (pure): see `createBacktest`. */
export function backtest(events: readonly StoredEvent[], set: CompiledRuleSet): BacktestReport {
  const b = createBacktest(set);
  b.add(events);
  return b.report();
}

export const BACKTEST_BATCH = 5_000;
export const BACKTEST_MAX_EVENTS = 1_000_000;

export interface BacktestRange {
  from?: Date;
  to?: Date;
}

/**
 * Back-tests a stored version over the event store within [from, to): pages of 5,000 events in stream order, at most
 * 1,000,000 (`truncated` says the bound was hit), accumulated as they are read. Audited as `risk.rule_set.backtest`
 * with the figures, since what a back-test showed is part of why a version was published.
 */
export async function backtestStored(
  deps: { db: Kysely<DB>; engine: { version(n: number): Promise<CompiledRuleSet> }; audit: AuditPort },
  actor: string,
  version: number,
  range: BacktestRange = {},
  o: { batch?: number; maxEvents?: number } = {},
): Promise<BacktestReport & { range: { from: string | null; to: string | null }; truncated: boolean }> {
  if (range.from && range.to && range.from.getTime() >= range.to.getTime())
    throw new AppError('invalid_request', 'from must be before to', { field: 'from' });
  const set = await deps.engine.version(version);
  const batch = o.batch ?? BACKTEST_BATCH;
  const max = o.maxEvents ?? BACKTEST_MAX_EVENTS;
  const b = createBacktest(set);
  let afterSeq = 0;
  let read = 0;
  let truncated = false;
  for (;;) {
    const limit = Math.min(batch, max - read);
    if (limit <= 0) {
      truncated = (await eventsAfter(deps.db, { afterSeq, limit: 1, ...range })).length > 0;
      break;
    }
    const page = await eventsAfter(deps.db, { afterSeq, limit, ...range });
    b.add(page);
    read += page.length;
    if (page.length < limit) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  const report = {
    ...b.report(),
    range: { from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null },
    truncated,
  };
  await inTransaction(deps.db, (trx) =>
    deps.audit(trx, {
      actor,
      action: 'risk.rule_set.backtest',
      target: `rule_set:${version}`,
      details: {
        range: report.range,
        events: report.events,
        truncated,
        decisions: report.decisions,
        agreement: report.agreement,
        changed: report.changed,
      },
    }),
  );
  return report;
}

/** A rule under test: a whole rule, or just an expression (a deny rule named `test_rule`). */
export type RuleUnderTest = string | Rule;

/**
 * Runs one rule on one event (fields not given are empty; signals not given are the quiet defaults) at `at`. A rule
 * that does not compile is refused (`rule_invalid`, with the position); one that fails while running is reported
 * in `errors`, as live scoring would skip it. Audited as `risk.rule.test` (what was tried, not the event).
 */
export async function testRule(
  deps: { db: Kysely<DB>; audit: AuditPort },
  actor: string,
  input: { rule: RuleUnderTest; event: Partial<RiskEvent> & { type: RiskEventType }; signals: Partial<Signals> },
  at: Date,
) {
  const rule: Rule =
    typeof input.rule === 'string'
      ? {
          id: 'test_rule',
          name: 'Rule under test',
          expression: input.rule,
          action: 'deny',
          score: 100,
          message: 'fired',
          enabled: true,
        }
      : { ...input.rule, enabled: true };
  const compiled = compileRule(rule);
  const event = riskEvent(input.event);
  const signals = signalsOf(input.signals);
  const d = decide(event, signals, { version: -1, rules: [compiled] }, at);
  await inTransaction(deps.db, (trx) =>
    deps.audit(trx, {
      actor,
      action: 'risk.rule.test',
      target: `rule:${rule.id}`,
      details: { expression: rule.expression, eventType: event.type, fired: d.reasons.length > 0 },
    }),
  );
  return {
    rule: rule.id,
    fires: d.reasons.length > 0,
    decision: d.decision,
    score: d.score,
    reasons: d.reasons,
    errors: d.errors,
    event,
    /** As the rule saw them: `tokyoHour` is the decision time's. */
    signals: { ...signals, tokyoHour: tokyoHour(at) },
  };
}

export const EVENT_FILTER_DECISIONS = ['allow', 'challenge', 'review', 'deny'] as const;

/**
 * One page of stored events, newest first (by `seq`), for operators choosing what to back-test or label;
 * `startingAfter` is the last event of the previous page, by id (rev_…) or `seq`.
 */
export async function pageStoredEvents(
  db: Kysely<DB>,
  f: {
    limit: number;
    startingAfter?: string;
    type?: string;
    userId?: string;
    objectId?: string;
    decision?: RuleAction;
    label?: 'fraud' | 'not_fraud' | 'unlabelled';
  },
): Promise<{ data: StoredEvent[]; hasMore: boolean }> {
  let s = db.selectFrom('risk_events').select(EVENT_COLUMNS);
  const after = f.startingAfter;
  if (after !== undefined)
    s = /^\d{1,15}$/.test(after)
      ? s.where('seq', '<', Number(after))
      : s.where('seq', '<', (eb) => eb.selectFrom('risk_events').select('seq').where('id', '=', after));
  if (f.type) s = s.where('type', '=', f.type);
  if (f.userId) s = s.where('user_id', '=', f.userId);
  if (f.objectId) s = s.where('object_id', '=', f.objectId);
  if (f.decision) s = s.where('decision', '=', f.decision);
  if (f.label === 'unlabelled') s = s.where('label', 'is', null);
  else if (f.label) s = s.where('label', '=', f.label);
  const rows = await s
    .orderBy('seq', 'desc')
    .limit(f.limit + 1)
    .execute();
  const data = rows.slice(0, f.limit).map((r) => toStoredEvent(r as Parameters<typeof toStoredEvent>[0]));
  return { data, hasMore: rows.length > f.limit };
}
