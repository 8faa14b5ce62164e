import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../ops/index.ts';
import type { Services } from '../../services.ts';
import { hasOperatorGuard, requireOperator } from '../operator-auth.ts';
import * as S from '../schemas.ts';

/** Reading incidents is for every operator, bank staff included (scoped to their bank); acting is for analysts. */
const READ: Role[] = ['support', 'fraud_analyst', 'compliance', 'admin', 'bank'];
const ACT: Role[] = ['fraud_analyst', 'compliance', 'admin'];
const AGREE: Role[] = ['compliance', 'admin'];
const P = '/v1/admin/incidents';

const BankCode = z
  .string()
  .regex(/^\d{4}$/)
  .describe('4-digit Zengin bank code');
const Id = z.object({ id: z.string().max(64) });
const Risk = z.object({
  decision: z.string(),
  score: z.number(),
  reasons: z.array(z.object({ rule: z.string(), message: z.string() })),
});
const Incident = z.object({
  id: z.string(),
  bankCode: z.string().nullable().describe('null: every bank'),
  from: S.Timestamp,
  to: S.Timestamp,
  reason: z.string(),
  status: z.enum(['open', 'closed']),
  createdBy: z.string(),
  createdAt: S.Timestamp,
  closedAt: S.Timestamp.nullable(),
});
const Link = z.object({
  id: z.string(),
  userId: z.string(),
  bankCode: z.string(),
  branchCode: z.string(),
  accountNumberLast4: z.string(),
  status: z.string(),
  createdAt: S.Timestamp,
  activatedAt: S.Timestamp.nullable(),
  nameMatchScore: z.number().nullable(),
  risk: Risk,
  deviceId: z.string().nullable(),
  ip: z.string().nullable(),
  phone: z.string().nullable(),
  walletVerified: z.boolean(),
  reportedByHolder: z.boolean(),
  fraudulent: z.boolean(),
  clusters: z.array(z.string()),
  charged: z.number().int(),
});
const Cluster = z.object({
  id: z.string().describe('kind:value, e.g. device:dev_123; mark a whole cluster with it'),
  kind: z.enum(['device', 'ip', 'phone', 'wallet']),
  value: z.string(),
  linkIds: z.array(z.string()),
});
const Charge = z.object({
  id: z.string(),
  linkId: z.string(),
  userId: z.string(),
  bankCode: z.string(),
  accountNumberLast4: z.string(),
  amount: z.number().int(),
  status: z.string(),
  createdAt: S.Timestamp,
  risk: Risk,
  fraudulent: z.boolean(),
  reportedByHolder: z.boolean(),
});
const Split = z.object({
  operatorSharePct: z.number().int(),
  bankSharePct: z.number().int(),
  operatorShare: z.number().int(),
  bankShare: z.number().int(),
  agreementId: z.string().nullable(),
});
const Agreement = z.object({
  id: z.string(),
  bankCode: z.string(),
  operatorSharePct: z.number().int(),
  bankSharePct: z.number().int(),
  effectiveFrom: S.Timestamp,
  recordedBy: z.string(),
  note: z.string(),
  createdAt: S.Timestamp,
});
const Approval = z.object({
  id: z.string(),
  action: z.string(),
  target: z.string(),
  payload: z.record(z.string(), z.unknown()),
  requestedBy: z.string(),
  reason: z.string(),
  status: z.string(),
  decidedBy: z.string().nullable(),
  decisionNote: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  requestedAt: S.Timestamp,
  decidedAt: S.Timestamp.nullable(),
});
const Report = z.record(z.string(), z.unknown());

/** /v1/admin/incidents (operators; bank staff read their own bank's part) and the public compensation policy. */
export function incidentAdminRoutes(s: Services): FastifyPluginAsyncZod {
  const read = requireOperator(s, ...READ);
  const act = requireOperator(s, ...ACT);
  return async (app) => {
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/v1/admin') && !hasOperatorGuard(route))
        throw new Error(`${String(route.method)} ${route.url} has no requireOperator preValidation`);
    });

    app.get('/v1/compensation-policy', {
      schema: {
        tags: ['incidents'],
        summary:
          'The operator’s published compensation policy: what is compensated, within what time, how to claim (public)',
        description:
          'Configuration: the YAML or JSON file named by SAIFU_COMPENSATION_POLICY, or the built-in default.',
        security: [],
        response: { 200: z.record(z.string(), z.unknown()) },
      },
      handler: async () => s.incidents.compensationPolicy(),
    });

    app.post(P, {
      preValidation: act,
      schema: {
        tags: ['incidents'],
        summary: 'Open an incident for one bank (or all: bankCode null or absent) and a time window (audited)',
        description:
          'from must be before to (400 invalid_request); an unknown bank is 404 unknown_bank; a blank reason 400 reason_required.',
        body: z.strictObject({
          bankCode: BankCode.nullable().optional(),
          from: z.iso.datetime({ offset: true }),
          to: z.iso.datetime({ offset: true }),
          reason: z.string().max(1000),
        }),
        response: { 201: Incident, ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req, reply) =>
        reply.code(201).send(
          await s.incidents.createIncident(req.operator!.id, {
            bankCode: req.body.bankCode ?? null,
            from: new Date(req.body.from),
            to: new Date(req.body.to),
            reason: req.body.reason,
          }),
        ),
    });

    app.get(P, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary: 'Incidents, newest first (bank staff: their bank’s and every-bank incidents)',
        querystring: S.ListQuery,
        response: { 200: z.object({ data: z.array(Incident), has_more: z.boolean() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const r = await s.incidents.listIncidents(req.operator!, {
          limit: req.query.limit,
          ...(req.query.starting_after ? { startingAfter: req.query.starting_after } : {}),
        });
        return { data: r.data, has_more: r.hasMore };
      },
    });

    app.get(`${P}/:id`, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary: 'One incident',
        params: Id,
        response: { 200: Incident, ...S.errors(401, 403, 404) },
      },
      handler: async (req) => s.incidents.getIncident(req.operator!, req.params.id),
    });

    app.get(`${P}/:id/links`, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary: 'Every link created in the window: risk, name match, device/IP/phone/wallet clusters, holder reports',
        params: Id,
        response: { 200: z.object({ data: z.array(Link), clusters: z.array(Cluster) }), ...S.errors(401, 403, 404) },
      },
      handler: async (req) => {
        const r = await s.incidents.windowLinks(req.operator!, req.params.id);
        return { data: r.links, clusters: r.clusters };
      },
    });

    app.get(`${P}/:id/charges`, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary:
          'Every charge made in the window with its risk decision, whether its link is marked fraudulent and reported',
        params: Id,
        response: { 200: z.object({ data: z.array(Charge) }), ...S.errors(401, 403, 404) },
      },
      handler: async (req) => ({ data: await s.incidents.windowCharges(req.operator!, req.params.id) }),
    });

    app.get(`${P}/:id/victims`, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary:
          'Find victims among the window’s bank accounts by account number, holder name (kana, normalised and scored) or phone',
        params: Id,
        querystring: z.object({
          bankCode: BankCode.optional(),
          branchCode: z
            .string()
            .regex(/^\d{3}$/)
            .optional(),
          accountNumber: z
            .string()
            .regex(/^\d{7}$/)
            .optional(),
          name: z
            .string()
            .min(1)
            .max(100)
            .optional()
            .describe('Kana holder name, family and given separated by a space'),
          phone: z.string().min(1).max(20).optional(),
        }),
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.string(),
                bankCode: z.string(),
                branchCode: z.string(),
                accountNumberLast4: z.string(),
                loss: z.number().int(),
                fraudulentLinks: z.array(z.string()),
                reportedByHolder: z.boolean(),
                nameScore: z.number().nullable(),
                linkIds: z.array(z.string()),
              }),
            ),
          }),
          ...S.errors(400, 401, 403, 404),
        },
      },
      handler: async (req) => ({ data: await s.incidents.searchVictims(req.operator!, req.params.id, req.query) }),
    });

    app.post(`${P}/:id/fraudulent-links`, {
      preValidation: act,
      schema: {
        tags: ['incidents'],
        summary:
          'Mark links fraudulent, singly or a whole cluster: freezes their wallets and the wallets their money went to (audited)',
        params: Id,
        body: z.strictObject({
          linkIds: z.array(z.string().max(64)).max(1000).optional(),
          cluster: z.string().max(200).optional(),
          note: z.string().max(1000),
        }),
        response: {
          200: z.object({
            marked: z.array(z.string()),
            fraudulentWallets: z.array(z.string()),
            recipientWallets: z.array(z.string()),
            traced: z.object({ transfers: z.number(), payments: z.number(), withdrawals: z.number() }),
          }),
          ...S.errors(400, 401, 403, 404, 409),
        },
      },
      handler: async (req) => {
        const { linkIds, cluster, note } = req.body;
        return s.incidents.markFraudulent(req.operator!, req.params.id, {
          note,
          ...(linkIds ? { linkIds } : {}),
          ...(cluster ? { cluster } : {}),
        });
      },
    });

    app.get(`${P}/:id/remediation-plan`, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary:
          'Per victim: loss, what the frozen wallets can return, the shortfall compensation pays, and its cost split',
        params: Id,
        response: {
          200: z.object({
            data: z.array(
              z.object({
                victimId: z.string(),
                bankCode: z.string(),
                branchCode: z.string(),
                accountNumberLast4: z.string(),
                loss: z.number().int(),
                returnable: z.number().int(),
                shortfall: z.number().int(),
                split: Split,
                sources: z.array(z.object({ userId: z.string(), amount: z.number().int() })),
                remediation: z.object({ id: z.string(), status: z.string() }).nullable(),
              }),
            ),
          }),
          ...S.errors(401, 403, 404),
        },
      },
      handler: async (req) => ({ data: await s.incidents.remediationPlan(req.operator!, req.params.id) }),
    });

    app.post(`${P}/:id/payouts`, {
      preValidation: act,
      schema: {
        tags: ['incidents'],
        summary: 'Ask for the payout of victims (default: all unpaid): 202 with the approval a second operator decides',
        description:
          'Approved at POST /v1/admin/approvals/{id}/approve by another operator (never the requester: 403 self_approval). A closed incident or victims already paid are 409 invalid_state.',
        params: Id,
        body: z.strictObject({
          victimIds: z.array(z.string().max(64)).max(10_000).optional(),
          reason: z.string().max(1000),
        }),
        response: { 202: Approval, ...S.errors(400, 401, 403, 404, 409) },
      },
      handler: async (req, reply) =>
        reply.code(202).send(
          await s.incidents.requestPayout(req.operator!.id, req.params.id, {
            reason: req.body.reason,
            ...(req.body.victimIds ? { victimIds: req.body.victimIds } : {}),
          }),
        ),
    });

    app.post(`${P}/:id/close`, {
      preValidation: act,
      schema: {
        tags: ['incidents'],
        summary: 'Close an incident: nothing more is marked or paid from it (audited)',
        params: Id,
        body: z.strictObject({ note: z.string().max(1000) }),
        response: { 200: Incident, ...S.errors(400, 401, 403, 404, 409) },
      },
      handler: async (req) => s.incidents.closeIncident(req.operator!.id, req.params.id, req.body.note),
    });

    app.get(`${P}/:id/report.csv`, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary: 'The incident report as CSV: one line per case, then totals (bank staff: their bank only)',
        params: Id,
        response: { 200: z.string().describe('CSV (sent as text/csv)'), ...S.errors(401, 403, 404) },
      },
      handler: async (req, reply) =>
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="incident-${req.params.id}.csv"`)
          .serializer((x) => x as string)
          .send(s.incidents.reportCsv(await s.incidents.report(req.operator!, req.params.id))),
    });

    app.get(`${P}/:id/report.pdf`, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary: 'The incident report as PDF (bank staff: their bank only)',
        params: Id,
        response: { 200: z.any().describe('PDF (sent as application/pdf)'), ...S.errors(401, 403, 404) },
      },
      handler: async (req, reply) =>
        reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="incident-${req.params.id}.pdf"`)
          .send(await s.incidents.reportPdf(await s.incidents.report(req.operator!, req.params.id))),
    });

    app.get(`${P}/:id/regulator-summary`, {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary: 'Counts and yen per bank, totals, and the timeline of bank switches and incident steps',
        params: Id,
        response: { 200: Report, ...S.errors(401, 403, 404) },
      },
      handler: async (req) => s.incidents.regulatorSummary(req.operator!, req.params.id),
    });

    app.get('/v1/admin/cost-agreements', {
      preValidation: read,
      schema: {
        tags: ['incidents'],
        summary: 'Banks’ cost-split agreements for compensation, newest first per bank (bank staff: their own)',
        querystring: z.object({ bankCode: BankCode.optional() }),
        response: { 200: z.object({ data: z.array(Agreement) }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const own = req.operator!.role === 'bank' ? req.operator!.bankCode : undefined;
        return { data: await s.incidents.listCostAgreements(own ?? req.query.bankCode) };
      },
    });

    app.post('/v1/admin/cost-agreements', {
      preValidation: requireOperator(s, ...AGREE),
      schema: {
        tags: ['incidents'],
        summary:
          'Record a bank’s cost-split agreement (compliance, admin; audited); linking cannot be switched on without one',
        body: z.strictObject({
          bankCode: BankCode,
          operatorSharePct: z.number().int().min(0).max(100),
          bankSharePct: z.number().int().min(0).max(100),
          effectiveFrom: z.iso.datetime({ offset: true }).optional(),
          note: z.string().max(1000),
        }),
        response: { 201: Agreement, ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req, reply) => {
        const { effectiveFrom, ...rest } = req.body;
        return reply.code(201).send(
          await s.incidents.recordCostAgreement(req.operator!.id, {
            ...rest,
            ...(effectiveFrom ? { effectiveFrom: new Date(effectiveFrom) } : {}),
          }),
        );
      },
    });
  };
}
