import { parse, stringify } from 'yaml';
import { AppError } from '../platform/index.ts';
import type { Rule } from './rules.ts';

/** A rule set as operators export and import it: `rules:` a list of rules (YAML, or JSON which is YAML too). */
export interface RuleSetDocument {
  rules: Rule[];
}

const MAX_YAML_CHARS = 1_000_000;

export function ruleSetFromYaml(text: string): RuleSetDocument {
  if (text.length > MAX_YAML_CHARS)
    throw new AppError('rule_invalid', `a rule set is at most ${MAX_YAML_CHARS} characters`);
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0 });
  } catch (e) {
    const err = e as { message?: string; linePos?: Array<{ line: number; col: number }> };
    const at = err.linePos?.[0];
    throw new AppError('rule_invalid', `rule set is not valid YAML: ${String(err.message).split('\n')[0]}`, {
      ...(at ? { line: at.line, column: at.col } : {}),
    });
  }
  const rules = (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) throw new AppError('rule_invalid', 'a rule set document has a `rules:` list');
  return { rules: rules as Rule[] };
}

/** Stable field order, so an export diffs cleanly against the last one. */
export function ruleSetToYaml(doc: RuleSetDocument): string {
  const rules = doc.rules.map((r) => ({
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    action: r.action,
    score: r.score,
    message: r.message,
    expression: r.expression,
    ...(r.restrictions && r.restrictions.length > 0 ? { restrictions: r.restrictions } : {}),
  }));
  return stringify({ rules }, { lineWidth: 0 });
}
