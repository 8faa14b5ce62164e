import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../ops/index.ts';
import { AppError } from '../../platform/index.ts';
import {
  DEFAULT_RULES_YAML,
  EVENT_TYPES,
  type Rule,
  type StoredEvent,
  backtestStored,
  pageStoredEvents,
  ruleSetFromYaml,
  testRule,
} from '../../risk/index.ts';
import type { Services } from '../../services.ts';
import { hasOperatorGuard, requireOperator } from '../operator-auth.ts';
import * as S from '../schemas.ts';
import {
  Action,
  BacktestReport,
  EventInput,
  ListEntry,
  ListKind,
  ListName,
  Reason,
  Reasons,
  RuleInput,
  RuleOut,
  RuleSetSummary,
  SignalsInput,
  StoredEventOut,
  VersionParams,
} from './risk-admin-schemas.ts';

const P = '/v1/admin/risk';
/** Drafting, testing, back-testing, shadowing and the lists: the people who write rules. */
const AUTHOR_ROLES: Role[] = ['fraud_analyst', 'admin'];
/** Publishing and rolling back: a second pair of eyes, never the author (the engine refuses self_approval). */
const PUBLISH_ROLES: Role[] = ['fraud_analyst', 'compliance', 'admin'];

const iso = (d: Date | string | null | undefined) => (d == null ? null : new Date(d).toISOString());
const toEventOut = (e: StoredEvent) => ({ ...e, at: e.at.toISOString() });
const requireReason = (reason: string): string => {
  const why = reason.trim();
  if (!why) throw new AppError('reason_required', 'give a reason (it is kept in the audit log)', { field: 'reason' });
  return why;
};

/** /v1/admin/risk: the risk engine's rule sets, back-tests, event store and lists, for operators; changes audited. */
export function riskAdminRoutes(s: Services): FastifyPluginAsyncZod {
  const anyOperator = requireOperator(s);
  const author = requireOperator(s, ...AUTHOR_ROLES);
  const publisher = requireOperator(s, ...PUBLISH_ROLES);
  const audit = (trx: Parameters<typeof s.ops.audit.append>[0], e: Parameters<typeof s.ops.audit.append>[1]) =>
    s.ops.audit.append(trx, e);

  const versionZero = () => ({
    version: 0,
    status: (s.risk.current().version === 0 ? 'published' : 'retired') as 'published' | 'retired',
    note: 'the default pack (src/risk/default-rules.yaml)',
    createdBy: 'saifu',
    approvedBy: null,
    createdAt: null,
    publishedAt: null,
    shadow: false,
  });
  const summary = (r: {
    version: number;
    status: 'draft' | 'published' | 'retired';
    note: string;
    created_by: string;
    approved_by: string | null;
    created_at: Date | string;
    published_at: Date | string | null;
  }) => ({
    version: r.version,
    status: r.status,
    note: r.note,
    createdBy: r.created_by,
    approvedBy: r.approved_by,
    createdAt: iso(r.created_at),
    publishedAt: iso(r.published_at),
    shadow: s.risk.shadowVersion() === r.version,
  });

  return async (app) => {
    app.addHook('onRoute', (route) => {
      if (!hasOperatorGuard(route))
        throw new Error(`${String(route.method)} ${route.url} has no requireOperator preValidation`);
    });

    app.get(`${P}/rule-sets`, {
      preValidation: anyOperator,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Rule-set versions, newest first, with the one in force and the shadowed draft (any operator)',
        description: 'Version 0 (the default pack) is not stored: it is in force while nothing is published.',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(99).default(20) }),
        response: {
          200: z.object({
            data: z.array(RuleSetSummary),
            has_more: z.boolean(),
            published: z.number().int(),
            shadow: z.number().int().nullable(),
          }),
          ...S.errors(400, 401, 403),
        },
      },
      handler: async (req) => {
        const rows = await s.risk.list(req.query.limit + 1);
        return {
          data: rows.slice(0, req.query.limit).map(summary),
          has_more: rows.length > req.query.limit,
          published: s.risk.current().version,
          shadow: s.risk.shadowVersion(),
        };
      },
    });

    app.get(`${P}/rule-sets/:version`, {
      preValidation: anyOperator,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'One rule-set version with its rules (any operator)',
        params: VersionParams,
        response: { 200: RuleSetSummary.extend({ rules: z.array(RuleOut) }), ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req) => {
        const v = req.params.version;
        if (v === 0) return { ...versionZero(), rules: ruleSetFromYaml(DEFAULT_RULES_YAML).rules };
        const row = await s.risk.get(v);
        return { ...summary(row), rules: ruleSetFromYaml(row.yaml).rules };
      },
    });

    app.get(`${P}/rule-sets/:version/yaml`, {
      preValidation: anyOperator,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'A version as YAML, to edit and import as a new draft (any operator)',
        params: VersionParams,
        response: {
          200: z.string().describe('The YAML document (sent as text/yaml)'),
          ...S.errors(400, 401, 403, 404),
        },
      },
      handler: async (req, reply) =>
        reply
          .type('text/yaml; charset=utf-8')
          .serializer((x) => x as string)
          .send(await s.risk.exportYaml(req.params.version)),
    });

    app.post(`${P}/rule-sets`, {
      preValidation: author,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Create a draft version from rules (JSON) or a YAML document (fraud_analyst, admin; audited)',
        description:
          'Every rule is compiled first: a rule that does not parse, names a field outside the vocabulary, is not boolean, is longer than 2,000 characters or too deep is 422 `rule_invalid` with `details.rule` and `details.position` (0-based offset in the expression). Shapes (types, actions) are checked before: 400 `invalid_request`.',
        body: z
          .strictObject({
            rules: z.array(RuleInput).max(500).optional(),
            yaml: z.string().max(60_000).optional(),
            note: z.string().max(1000).default(''),
          })
          .refine((b) => (b.rules === undefined) !== (b.yaml === undefined), {
            message: 'give either rules (JSON) or yaml, not both',
          }),
        response: {
          201: z.object({ version: z.number().int(), status: z.literal('draft') }),
          ...S.errors(400, 401, 403, 422),
        },
      },
      handler: async (req, reply) => {
        const { rules, yaml, note } = req.body;
        const doc = yaml ?? { rules: (rules ?? []) as Rule[] };
        const { version } = await s.risk.createDraft(req.operator!.id, doc, note);
        return reply.code(201).send({ version, status: 'draft' as const });
      },
    });

    app.post(`${P}/rule-sets/:version/publish`, {
      preValidation: publisher,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Publish a draft: in force at once (fraud_analyst, compliance, admin; never its author; audited)',
        description:
          'The author of a draft may not publish it: 403 `self_approval`. Only a draft can be published (409 `invalid_state`).',
        params: VersionParams,
        response: {
          200: z.object({ version: z.number().int(), status: z.literal('published') }),
          ...S.errors(400, 401, 403, 404, 409),
        },
      },
      handler: async (req) => {
        await s.risk.publish(req.params.version, req.operator!.id);
        return { version: req.params.version, status: 'published' as const };
      },
    });

    app.post(`${P}/rule-sets/:version/rollback`, {
      preValidation: publisher,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Put an earlier (retired) version back in force (fraud_analyst, compliance, admin; audited)',
        params: VersionParams,
        response: {
          200: z.object({ version: z.number().int(), status: z.literal('published') }),
          ...S.errors(400, 401, 403, 404, 409),
        },
      },
      handler: async (req) => {
        await s.risk.rollback(req.params.version, req.operator!.id);
        return { version: req.params.version, status: 'published' as const };
      },
    });

    app.post(`${P}/rule-sets/:version/shadow`, {
      preValidation: author,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Run a draft on live traffic beside the published version, not enforced (fraud_analyst, admin)',
        description: 'Each scored event then stores the draft’s decision in `shadow`. One draft at a time; audited.',
        params: VersionParams,
        response: { 200: z.object({ shadow: z.number().int().nullable() }), ...S.errors(400, 401, 403, 404, 409) },
      },
      handler: async (req) => ({ shadow: (await s.risk.setShadow(req.params.version, req.operator!.id)).version }),
    });

    app.delete(`${P}/rule-sets/shadow`, {
      preValidation: author,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Stop shadowing (fraud_analyst, admin; audited)',
        response: { 200: z.object({ shadow: z.null() }), ...S.errors(401, 403) },
      },
      handler: async (req) => {
        await s.risk.setShadow(null, req.operator!.id);
        return { shadow: null };
      },
    });

    app.post(`${P}/rule-sets/:version/backtest`, {
      preValidation: author,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Replay stored events on a version, point in time (fraud_analyst, admin; audited)',
        description:
          'Each event in [from, to) is decided again on its signals and time as stored. `agreement` compares with the events that version decided live (100 % unless something is wrong); the confusion matrix uses analysts’ labels (review and deny = stopped; challenge apart; unlabelled never counted honest). At most 1,000,000 events (`truncated`).',
        params: VersionParams,
        body: z
          .strictObject({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() })
          .nullish()
          .describe('Optional: {from, to} bound the events by time (ISO 8601)'),
        response: { 200: BacktestReport, ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req) => {
        const b = req.body ?? {};
        return backtestStored({ db: s.db, engine: s.risk, audit }, req.operator!.id, req.params.version, {
          ...(b.from ? { from: new Date(b.from) } : {}),
          ...(b.to ? { to: new Date(b.to) } : {}),
        });
      },
    });

    app.post(`${P}/rules/test`, {
      preValidation: author,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Try one rule (or an expression) on an event and signals you give (fraud_analyst, admin; audited)',
        description:
          'Fields not given are empty (event) or the quiet defaults (signals). A rule that does not compile is 422 `rule_invalid` with the position; one that fails while running is answered 200 with the failure in `errors` (live scoring skips it the same way).',
        body: z.strictObject({
          rule: z.union([z.string().max(10_000), RuleInput]),
          event: EventInput,
          signals: SignalsInput.default({}),
          at: z.iso.datetime().optional().describe('Decision time (for signals.tokyoHour); default now'),
        }),
        response: {
          200: z.object({
            rule: z.string(),
            fires: z.boolean(),
            decision: Action,
            score: z.number(),
            reasons: Reasons,
            errors: Reasons,
            event: z.record(z.string(), z.unknown()),
            signals: z.record(z.string(), z.unknown()),
          }),
          ...S.errors(400, 401, 403, 422),
        },
      },
      handler: async (req) => {
        const { rule, event, signals, at } = req.body;
        return testRule(
          { db: s.db, audit },
          req.operator!.id,
          { rule: rule as string | Rule, event: event as never, signals: signals as never },
          at ? new Date(at) : s.clock.now(),
        );
      },
    });

    app.get(`${P}/events`, {
      preValidation: anyOperator,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Scored events, newest first, with the signals they were decided on (any operator)',
        description: 'starting_after takes an event id (rev_…) or a seq.',
        querystring: S.ListQuery.extend({
          type: z.enum(EVENT_TYPES).optional(),
          userId: z.string().max(64).optional(),
          objectId: z.string().max(64).optional(),
          decision: Action.optional(),
          label: z.enum(['fraud', 'not_fraud', 'unlabelled']).optional(),
        }),
        response: {
          200: z.object({ data: z.array(StoredEventOut), has_more: z.boolean() }),
          ...S.errors(400, 401, 403),
        },
      },
      handler: async (req) => {
        const q = req.query;
        const r = await pageStoredEvents(s.db, {
          limit: q.limit,
          ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.userId ? { userId: q.userId } : {}),
          ...(q.objectId ? { objectId: q.objectId } : {}),
          ...(q.decision ? { decision: q.decision } : {}),
          ...(q.label ? { label: q.label } : {}),
        });
        return { data: r.data.map(toEventOut), has_more: r.hasMore };
      },
    });

    app.get(`${P}/lists`, {
      preValidation: anyOperator,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Live block, allow and watch list entries, newest first (any operator)',
        querystring: S.ListQuery.extend({
          list: ListName.optional(),
          kind: ListKind.optional(),
          value: z.string().max(200).optional(),
        }),
        response: { 200: z.object({ data: z.array(ListEntry), has_more: z.boolean() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const { limit, starting_after, list, kind, value } = req.query;
        const f = { ...(list ? { list } : {}), ...(kind ? { kind } : {}), ...(value ? { value } : {}) };
        const data = await s.risk.listEntries({ ...f, limit, ...(starting_after ? { after: starting_after } : {}) });
        const last = data[data.length - 1];
        const has_more =
          data.length === limit && last !== undefined
            ? (await s.risk.listEntries({ ...f, limit: 1, after: last.id })).length > 0
            : false;
        return { data, has_more };
      },
    });

    app.post(`${P}/lists`, {
      preValidation: author,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Add (or extend) a list entry, in force at once (fraud_analyst, admin; audited)',
        description:
          'A live entry for the same list, kind and value is extended (later expiry wins, newest reason). A blank reason is 400 `reason_required`.',
        body: z.strictObject({
          list: ListName,
          kind: ListKind,
          value: z.string().min(1).max(200),
          reason: Reason,
          expiresAt: z.iso.datetime().nullable().optional(),
        }),
        response: { 201: ListEntry, ...S.errors(400, 401, 403) },
      },
      handler: async (req, reply) => {
        const { list, kind, value, reason, expiresAt } = req.body;
        if (!value.trim()) throw new AppError('invalid_request', 'value must not be blank', { field: 'value' });
        const entry = await s.risk.addToList(req.operator!.id, {
          list,
          kind,
          value,
          reason: requireReason(reason),
          ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}),
        });
        return reply.code(201).send(entry);
      },
    });

    app.delete(`${P}/lists/:id`, {
      preValidation: author,
      schema: {
        tags: ['admin', 'risk'],
        summary: 'Remove a live list entry, with a reason (fraud_analyst, admin; audited)',
        params: z.object({ id: z.string().max(64) }),
        body: z.strictObject({ reason: Reason }),
        response: { 200: ListEntry, ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req) => s.risk.removeFromList(req.operator!.id, req.params.id, requireReason(req.body.reason)),
    });
  };
}
