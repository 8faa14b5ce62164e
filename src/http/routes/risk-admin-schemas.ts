import { z } from 'zod';
import { MAX_REASON_LENGTH } from '../../ops/index.ts';
import {
  EVENT_FIELDS,
  EVENT_TYPES,
  LIST_KINDS,
  LIST_NAMES,
  RESTRICTION_TYPES,
  RULE_ACTIONS,
  SIGNAL_FIELDS,
} from '../../risk/index.ts';
import * as S from '../schemas.ts';

/** The shapes of /v1/admin/risk (routes in risk-admin.ts): rules, rule sets, back-test reports, events, lists. */

export const Action = z.enum(RULE_ACTIONS);
export const RestrictionSpec = z.strictObject({
  type: z.enum(RESTRICTION_TYPES),
  limit: z.number().int().optional().describe('Yen a day (charge_daily_cap)'),
  durationHours: z.number(),
  message: z.string().max(500),
});
export const RuleInput = z.strictObject({
  id: z.string().max(64),
  name: z.string().max(200),
  enabled: z.boolean().default(true),
  action: Action,
  score: z.number().int(),
  message: z.string().max(500),
  expression: z.string().max(10_000).describe('CEL over `event` and `signals` (at most 2,000 characters)'),
  restrictions: z.array(RestrictionSpec).max(10).optional(),
});
export const RuleOut = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  action: Action,
  score: z.number(),
  message: z.string(),
  expression: z.string(),
  restrictions: z.array(RestrictionSpec).optional(),
});
export const Status = z.enum(['draft', 'published', 'retired']);
export const RuleSetSummary = z.object({
  version: z.number().int(),
  status: Status,
  note: z.string(),
  createdBy: z.string(),
  approvedBy: z.string().nullable(),
  createdAt: S.Timestamp.nullable(),
  publishedAt: S.Timestamp.nullable(),
  shadow: z.boolean().describe('Run on live traffic beside the published version, decisions stored, not enforced'),
});
export const VersionParams = z.object({ version: z.coerce.number().int().min(0).max(2_147_483_647) });
export const Reason = z.string().max(MAX_REASON_LENGTH).describe(`Why (1–${MAX_REASON_LENGTH} characters)`);
export const ListName = z.enum(LIST_NAMES);
export const ListKind = z.enum(LIST_KINDS);
export const ListEntry = z.object({
  id: z.string(),
  list: ListName,
  kind: ListKind,
  value: z.string(),
  reason: z.string(),
  expiresAt: S.Timestamp.nullable(),
  createdBy: z.string(),
  createdAt: S.Timestamp,
});
export const Counts = z.object({ allow: z.number(), challenge: z.number(), review: z.number(), deny: z.number() });
export const Reasons = z.array(z.object({ rule: z.string(), message: z.string() }));
export const BacktestReport = z.object({
  version: z.number().int(),
  events: z.number().int(),
  truncated: z.boolean().describe('The 1,000,000-event bound was reached: narrow from/to'),
  range: z.object({ from: S.Timestamp.nullable(), to: S.Timestamp.nullable() }),
  decisions: Counts,
  confusion: z.object({
    byLabel: z.object({ fraud: Counts, not_fraud: Counts, unlabelled: Counts }),
    truePositives: z.number(),
    falsePositives: z.number(),
    falseNegatives: z.number(),
    trueNegatives: z.number(),
    precision: z.number().nullable(),
    recall: z.number().nullable(),
  }),
  yen: z.object({ fraudStopped: z.number(), fraudTotal: z.number(), stopped: z.number() }),
  honestUsersAffected: z.number().int(),
  agreement: z.object({ compared: z.number().int(), agreed: z.number().int(), rate: z.number().nullable() }),
  changed: z.number().int(),
  examples: z.array(
    z.object({
      eventId: z.string(),
      type: z.string(),
      userId: z.string(),
      storedDecision: Action,
      storedVersion: z.number().int(),
      decision: Action,
      rules: z.array(z.string()),
    }),
  ),
  ruleErrors: z.record(z.string(), z.number()),
});
export const StoredEventOut = z.object({
  id: z.string(),
  seq: z.number().int(),
  type: z.string(),
  userId: z.string(),
  objectId: z.string().nullable(),
  amount: z.number(),
  at: S.Timestamp,
  event: z.record(z.string(), z.unknown()),
  signals: z.record(z.string(), z.unknown()),
  decision: Action,
  score: z.number(),
  reasons: Reasons,
  ruleSetVersion: z.number().int(),
  enforced: z.boolean(),
  shadow: z.object({ version: z.number().int(), decision: Action, score: z.number(), reasons: Reasons }).nullable(),
  label: z.enum(['fraud', 'not_fraud']).nullable(),
});

/** A zod object over a CEL vocabulary (every field optional: the rest are empty / quiet defaults). */
function vocabularyInput<T extends Record<string, 'string' | 'double' | 'bool'>>(fields: T) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, type] of Object.entries(fields))
    shape[name] = (type === 'double' ? z.number() : type === 'bool' ? z.boolean() : z.string().max(200)).optional();
  return shape;
}
export const EventInput = z.strictObject({
  ...vocabularyInput(EVENT_FIELDS),
  type: z.enum(EVENT_TYPES),
});
export const SignalsInput = z.strictObject(vocabularyInput(SIGNAL_FIELDS));
