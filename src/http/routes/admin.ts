import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toAuditRecord, verifyAudit } from '../../ops/index.ts';
import type { Services } from '../../services.ts';
import { requireOperator } from '../operator-auth.ts';
import * as S from '../schemas.ts';

const Operator = z.object({ id: z.string(), email: z.string(), role: z.enum(['support', 'fraud_analyst', 'compliance', 'admin']) });
const Bank = z.object({
  code: z.string(),
  participating: z.boolean(),
  authMethod: z.string().nullable(),
  linking: z.boolean(),
  charging: z.boolean(),
  registrationChanges: z.boolean(),
  perChargeLimit: z.number().int().nullable(),
  monthlyLimit: z.number().int().nullable(),
  updatedAt: S.Timestamp,
});
const AuditRecord = z.object({ seq: z.number().int(), id: z.string(), at: S.Timestamp, actor: z.string(), action: z.string(), target: z.string(), details: z.record(z.string(), z.unknown()), prevHash: z.string(), hash: z.string() });

/** /v1/admin: operator sessions with roles; every action audited (see ops/). */
export function adminRoutes(s: Services): FastifyPluginAsyncZod {
  const anyOperator = requireOperator(s);
  return async (app) => {
    app.post('/v1/admin/sessions', {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: { tags: ['admin'], summary: 'Operator sign-in', security: [], body: z.object({ email: z.string().max(254), password: z.string().max(200) }), response: { 201: z.object({ token: z.string(), operator: Operator }), ...S.errors(400, 401, 429) } },
      handler: async (req, reply) => reply.code(201).send(await s.ops.login(req.body.email, req.body.password)),
    });

    app.delete('/v1/admin/sessions/current', {
      preValidation: anyOperator,
      schema: { tags: ['admin'], summary: 'Operator sign-out', response: { 204: z.null(), ...S.errors(401, 403) } },
      handler: async (req, reply) => {
        await s.ops.logout(req.operator!.id, req.operatorToken!);
        return reply.code(204).send(null);
      },
    });

    app.get('/v1/admin/banks', {
      preValidation: anyOperator,
      schema: { tags: ['admin'], summary: 'Banks configured in Saifu with their switches (any operator)', response: { 200: z.object({ data: z.array(Bank) }), ...S.errors(401, 403) } },
      handler: async () => ({ data: await s.ops.listBanks() }),
    });

    app.patch('/v1/admin/banks/:code', {
      preValidation: requireOperator(s, 'fraud_analyst', 'compliance', 'admin'),
      schema: {
        tags: ['admin'],
        summary: 'Switch a bank’s new linking, charging or registration changes on or off, with a reason (fraud_analyst, compliance, admin)',
        description: 'Takes effect for every request that starts after it; recorded with its reason in the bank’s switch history and the audit log.',
        params: z.object({ code: z.string().regex(/^\d{4}$/) }),
        body: z.object({ linking: z.boolean().optional(), charging: z.boolean().optional(), registrationChanges: z.boolean().optional(), reason: z.string().max(500).optional() }),
        response: { 200: Bank, ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req) => {
        const { reason, ...changes } = req.body;
        return s.ops.setBankSwitches(req.operator!.id, req.params.code, changes, reason ?? '');
      },
    });

    app.get('/v1/admin/banks/:code/switch-changes', {
      preValidation: anyOperator,
      schema: {
        tags: ['admin'],
        summary: 'A bank’s switch history, newest first',
        params: z.object({ code: z.string().regex(/^\d{4}$/) }),
        response: { 200: z.object({ data: z.array(z.object({ id: z.string(), bankCode: z.string(), changes: z.object({ linking: z.boolean().optional(), charging: z.boolean().optional(), registrationChanges: z.boolean().optional() }), reason: z.string(), actor: z.string(), at: S.Timestamp })) }), ...S.errors(401, 403) },
      },
      handler: async (req) => ({ data: await s.ops.switchHistory(req.params.code) }),
    });

    const Case = z.object({ id: z.string(), kind: z.string(), status: z.string(), bankAccount: z.object({ bankCode: z.string(), branchCode: z.string(), accountNumberLast4: z.string() }).nullable(), details: z.record(z.string(), z.unknown()), createdAt: S.Timestamp });
    const caseRoles = requireOperator(s, 'support', 'fraud_analyst', 'compliance', 'admin');
    app.get('/v1/admin/cases', {
      preValidation: caseRoles,
      schema: {
        tags: ['admin'],
        summary: 'Cases opened by unauthorized reports and security detections, newest first',
        querystring: z.object({ kind: z.enum(['unauthorized_report', 'reverse_brute_force']).optional(), status: z.string().max(20).optional(), limit: z.coerce.number().int().min(1).max(100).default(20), starting_after: z.string().max(64).optional() }),
        response: { 200: z.object({ data: z.array(Case), has_more: z.boolean() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const r = await s.ops.listCases({ limit: req.query.limit, ...(req.query.kind ? { kind: req.query.kind } : {}), ...(req.query.status ? { status: req.query.status } : {}), ...(req.query.starting_after ? { startingAfter: req.query.starting_after } : {}) });
        return { data: r.data, has_more: r.hasMore };
      },
    });
    app.get('/v1/admin/cases/:id', {
      preValidation: caseRoles,
      schema: { tags: ['admin'], summary: 'One case (the view is audited)', params: z.object({ id: z.string().max(64) }), response: { 200: Case, ...S.errors(401, 403, 404) } },
      handler: async (req) => s.ops.viewCase(req.operator!.id, req.params.id),
    });

    app.get('/v1/admin/audit', {
      preValidation: requireOperator(s, 'compliance', 'admin'),
      schema: { tags: ['admin'], summary: 'The audit log, newest first (compliance, admin)', querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), starting_after: z.coerce.number().int().min(1).optional() }), response: { 200: z.object({ data: z.array(AuditRecord), has_more: z.boolean() }), ...S.errors(400, 401, 403) } },
      handler: async (req) => {
        let q = s.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(req.query.limit + 1);
        if (req.query.starting_after) q = q.where('seq', '<', req.query.starting_after);
        const rows = await q.execute();
        return { data: rows.slice(0, req.query.limit).map(toAuditRecord), has_more: rows.length > req.query.limit };
      },
    });

    app.get('/v1/admin/audit/verify', {
      preValidation: requireOperator(s, 'compliance', 'admin'),
      schema: { tags: ['admin'], summary: 'Recompute the audit chain (compliance, admin)', response: { 200: z.object({ ok: z.boolean(), checked: z.number().int(), firstBrokenSeq: z.number().int().optional() }), ...S.errors(401, 403) } },
      handler: async () => verifyAudit(s.db),
    });
  };
}
