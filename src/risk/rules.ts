import { Environment } from '@marcbachmann/cel-js';
import { AppError } from '../platform/index.ts';
import { EVENT_FIELDS, type RiskEvent, SIGNAL_FIELDS, type Signals } from './vocabulary.ts';

export const RULE_ACTIONS = ['allow', 'challenge', 'review', 'deny'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

export const RESTRICTION_TYPES = [
  'charge_daily_cap',
  'no_outgoing_transfers',
  'withdrawals_to_charging_account_only',
  'merchants_only',
] as const;
export type RestrictionType = (typeof RESTRICTION_TYPES)[number];

/** A restriction as a rule states it: how long it lasts from the decision. */
export interface RestrictionSpec {
  type: RestrictionType;
  /** Yen, for charge_daily_cap. */
  limit?: number;
  durationHours: number;
  message: string;
}

export interface Rule {
  id: string;
  name: string;
  expression: string;
  action: RuleAction;
  score: number;
  message: string;
  restrictions?: RestrictionSpec[];
  enabled: boolean;
}

export const MAX_EXPRESSION_CHARS = 2_000;
export const MAX_DEPTH = 32;
const MAX_AST_NODES = 500;
const MAX_RULES = 500;

/** The declared vocabulary: `event` and `signals` with their fields; nothing else is a name. */
const env = new Environment({ limits: { maxDepth: MAX_DEPTH, maxAstNodes: MAX_AST_NODES } })
  .registerVariable({ name: 'event', schema: { ...EVENT_FIELDS } })
  .registerVariable({ name: 'signals', schema: { ...SIGNAL_FIELDS } });

export type RuleProgram = (ctx: { event: RiskEvent; signals: Signals }) => unknown;
export interface CompiledRule extends Rule {
  program: RuleProgram;
}

const invalid = (rule: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError('rule_invalid', `rule ${rule}: ${message}`, { rule, ...details });

/** Where a CEL error points (0-based offset into the expression), and its first line. */
function celProblem(e: unknown): { message: string; position?: number } {
  const err = e as { message?: string; range?: { start?: number } };
  const message = String(err.message ?? e).split('\n')[0] ?? 'invalid expression';
  const position = err.range?.start;
  return typeof position === 'number' ? { message, position } : { message };
}

/** Compiles an expression; refuses it (rule_invalid with the position) unless it is a boolean over the vocabulary. */
export function compileExpression(ruleId: string, expression: string): RuleProgram {
  if (expression.length > MAX_EXPRESSION_CHARS)
    throw invalid(ruleId, `expression is ${expression.length} characters, more than ${MAX_EXPRESSION_CHARS}`);
  let program: RuleProgram;
  try {
    program = env.parse(expression) as unknown as RuleProgram;
  } catch (e) {
    const p = celProblem(e);
    throw invalid(ruleId, p.message, { position: p.position });
  }
  const checked = env.check(expression);
  if (!checked.valid) {
    const p = celProblem(checked.error);
    throw invalid(ruleId, p.message, { position: p.position });
  }
  if (checked.type !== 'bool') throw invalid(ruleId, `expression returns ${checked.type}, not bool`, { position: 0 });
  return program;
}

const RULE_ID = /^[a-z][a-z0-9_]{0,63}$/;

/** Validates a rule's shape (the edge has parsed JSON/YAML, but rule sets also come from files and the database). */
export function validateRule(r: Rule): void {
  const id = typeof r.id === 'string' ? r.id : '?';
  if (!RULE_ID.test(id)) throw invalid(id, 'id must be lowercase letters, digits and _ (at most 64)');
  if (typeof r.name !== 'string' || r.name.length === 0) throw invalid(id, 'name is required');
  if (typeof r.expression !== 'string') throw invalid(id, 'expression must be a string');
  if (!RULE_ACTIONS.includes(r.action)) throw invalid(id, `action must be one of ${RULE_ACTIONS.join(', ')}`);
  if (!Number.isInteger(r.score) || r.score < 0 || r.score > 100) throw invalid(id, 'score must be an integer 0–100');
  if (typeof r.message !== 'string' || r.message.length === 0) throw invalid(id, 'message is required');
  if (typeof r.enabled !== 'boolean') throw invalid(id, 'enabled must be true or false');
  for (const s of r.restrictions ?? []) {
    if (!RESTRICTION_TYPES.includes(s.type))
      throw invalid(id, `restriction type must be one of ${RESTRICTION_TYPES.join(', ')}`);
    if (s.type === 'charge_daily_cap' && !(Number.isSafeInteger(s.limit) && (s.limit ?? 0) > 0))
      throw invalid(id, 'charge_daily_cap needs a positive integer limit (yen)');
    if (!(typeof s.durationHours === 'number' && s.durationHours > 0 && s.durationHours <= 24 * 90))
      throw invalid(id, 'restriction durationHours must be more than 0 and at most 2160 (90 days)');
    if (typeof s.message !== 'string' || s.message.length === 0) throw invalid(id, 'restriction message is required');
  }
}

export function compileRule(r: Rule): CompiledRule {
  validateRule(r);
  return { ...r, program: compileExpression(r.id, r.expression) };
}

export interface CompiledRuleSet {
  version: number;
  rules: readonly CompiledRule[];
}

/** Compiles every rule (disabled ones too: a rule set is valid as a whole); ids must be unique. */
export function compileRuleSet(version: number, rules: readonly Rule[]): CompiledRuleSet {
  if (!Array.isArray(rules)) throw new AppError('rule_invalid', 'a rule set is a list of rules');
  if (rules.length > MAX_RULES) throw new AppError('rule_invalid', `a rule set holds at most ${MAX_RULES} rules`);
  const seen = new Set<string>();
  const compiled = rules.map((r) => {
    if (seen.has(r.id)) throw invalid(r.id, 'duplicate rule id');
    seen.add(r.id);
    return compileRule(r);
  });
  return { version, rules: compiled };
}
