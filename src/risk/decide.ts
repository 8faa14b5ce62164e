import { type Restriction, restrictionAt } from './restrictions.ts';
import type { CompiledRuleSet, RuleAction } from './rules.ts';
import { type RiskEvent, type Signals, tokyoHour } from './vocabulary.ts';

export interface Decision {
  decision: RuleAction;
  /** 0–100: the capped sum of the fired rules' scores. */
  score: number;
  reasons: Array<{ rule: string; message: string }>;
  ruleSetVersion: number;
  restrictions: Restriction[];
  /** Rules that failed at run time (skipped, never fatal). */
  errors: Array<{ rule: string; message: string }>;
}

const STRENGTH: Record<RuleAction, number> = { allow: 0, challenge: 1, review: 2, deny: 3 };

/**
 * Scores one event: every enabled rule is evaluated; the strongest action among those that fired wins
 * (deny > review > challenge > allow). Pure and synchronous: the rule set is compiled, the signals are given, and
 * `at` (the decision time) is only used for `signals.tokyoHour` and the restrictions' expiry.
 * A rule that throws (a missing key, an int division by zero, a wrong runtime type) or returns a non-boolean is
 * skipped and reported in `errors`.
 */
export function decide(event: RiskEvent, signals: Signals, ruleSet: CompiledRuleSet, at: Date): Decision {
  const ctx = { event, signals: { ...signals, tokyoHour: tokyoHour(at) } };
  let action: RuleAction = 'allow';
  let score = 0;
  const reasons: Decision['reasons'] = [];
  const restrictions: Restriction[] = [];
  const errors: Decision['errors'] = [];
  for (const rule of ruleSet.rules) {
    if (!rule.enabled) continue;
    let fired: unknown;
    try {
      fired = rule.program(ctx);
    } catch (e) {
      errors.push({ rule: rule.id, message: String((e as Error).message ?? e).split('\n')[0] ?? 'failed' });
      continue;
    }
    if (fired !== true) {
      if (fired !== false) errors.push({ rule: rule.id, message: `returned ${typeof fired}, not bool` });
      continue;
    }
    if (STRENGTH[rule.action] > STRENGTH[action]) action = rule.action;
    score += rule.score;
    reasons.push({ rule: rule.id, message: rule.message });
    for (const spec of rule.restrictions ?? []) addRestriction(restrictions, restrictionAt(spec, at, rule.id));
  }
  return {
    decision: action,
    score: Math.min(100, score),
    reasons,
    ruleSetVersion: ruleSet.version,
    restrictions,
    errors,
  };
}

/**
 * Two rules firing together may ask for the same kind of restriction: one of each kind is kept, as strict as the
 * strictest (the later end, the lower cap), so a wallet never shows the same restriction twice.
 */
function addRestriction(list: Restriction[], r: Restriction): void {
  const i = list.findIndex((x) => x.type === r.type);
  if (i < 0) {
    list.push(r);
    return;
  }
  const old = list[i]!;
  const longer = r.until > old.until ? r : old;
  const limit = old.limit === undefined ? r.limit : r.limit === undefined ? old.limit : Math.min(old.limit, r.limit);
  list[i] = { ...longer, ...(limit === undefined ? {} : { limit }) };
}
