/**
 * risk: the risk engine's foundation. Owns the signal vocabulary (the CEL variables `event` and `signals` and their
 * types), rules and rule sets (table `risk_rule_sets`: versions draft → published → retired), decisions,
 * restrictions, and the velocity counters (in-process or Redis).
 *
 * Invariants:
 * - a rule is refused when created unless it compiles to a boolean over the declared vocabulary, within 2,000
 *   characters and depth 32 (`rule_invalid`, with the position); a rule that throws at run time is skipped and
 *   reported in the decision's `errors`, never fatal;
 * - `decide` is pure and synchronous over a compiled rule set: no I/O, time from the caller (the engine's clock);
 *   the strongest fired action wins (deny > review > challenge > allow), the score is the capped sum (0–100);
 * - a version's rules never change once stored; it is compiled once per process and cached;
 * - at most one version is published (unique index); the author of a version never publishes it (`self_approval`,
 *   and a CHECK in the table); every draft, publication and rollback is audited in the same transaction;
 * - counters count before they are checked (`record` returns the totals including the event).
 *
 * Must never: read `Date.now()`, call the network from `decide`, import another area's internals or HTTP types.
 * Money flows call it through `createAssessor` (the wallet's `RiskPort`): counters recorded, then `decide`.
 */
export { RISK_ERROR_CODES, type RiskErrorCode } from './errors.ts';
export {
  EVENT_FIELDS,
  EVENT_TYPES,
  NEVER_HOURS,
  SIGNAL_FIELDS,
  riskEvent,
  signalsOf,
  tokyoHour,
  type RiskEvent,
  type RiskEventType,
  type Signals,
} from './vocabulary.ts';
export {
  RESTRICTION_TYPES,
  RULE_ACTIONS,
  compileExpression,
  compileRule,
  compileRuleSet,
  type CompiledRuleSet,
  type RestrictionSpec,
  type RestrictionType,
  type Rule,
  type RuleAction,
} from './rules.ts';
export { decide, type Decision } from './decide.ts';
export {
  activeRestrictions,
  checkRestriction,
  describeRestriction,
  type Movement,
  type Restriction,
} from './restrictions.ts';
export {
  BUCKETS,
  WINDOWS,
  memoryCounters,
  type Counters,
  type Distinct,
  type Stamp,
  type Totals,
  type WindowName,
} from './counters.ts';
export { redisCounters } from './redis-counters.ts';
export { createAssessor, type Assessor } from './assess.ts';
export { createRiskPort, type RiskPortImpl } from './port.ts';
export {
  assessmentStatements,
  eventsAfter,
  labelEvents,
  restrictionsInForce,
  type Assessment,
  type ShadowDecision,
  type StoredEvent,
  type StoredRestriction,
} from './store.ts';
export {
  LIST_KINDS,
  LIST_NAMES,
  createListIndex,
  listKeysOf,
  type ListEntry,
  type ListKind,
  type ListName,
} from './lists.ts';
export { ruleSetFromYaml, ruleSetToYaml, type RuleSetDocument } from './documents.ts';
export {
  BACKTEST_BATCH,
  BACKTEST_MAX_EVENTS,
  backtest,
  backtestStored,
  createBacktest,
  pageStoredEvents,
  testRule,
  type BacktestRange,
  type BacktestReport,
  type RuleUnderTest,
} from './backtest.ts';
export {
  DEFAULT_RULES_YAML,
  createRiskEngine,
  defaultRuleSet,
  type AuditPort,
  type RiskDeps,
  type RiskEngine,
} from './engine.ts';
