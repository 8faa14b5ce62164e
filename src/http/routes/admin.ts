import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LINK_FAILURE_CODES } from '../../db/index.ts';
import { MAX_REASON_LENGTH, ROLES, type Role, bankScopeOf } from '../../ops/index.ts';
import { CASE_ACTIONS, CASE_KINDS, CASE_STATUSES, type CaseKind, type CaseStatus } from '../../cases/index.ts';
import { LIST_KINDS } from '../../risk/index.ts';
import { REVIEW_KINDS } from '../../wallet/index.ts';
import type { Services } from '../../services.ts';
import { hasOperatorGuard, requireOperator } from '../operator-auth.ts';
import * as S from '../schemas.ts';
import { Approval, approvalRoutes } from './approvals-admin.ts';

const Operator = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(ROLES as [Role, ...Role[]]),
  bankCode: z.string().optional().describe('The bank role’s one bank (4-digit Zengin code)'),
});
const Switches = z.object({
  linking: z.boolean().optional(),
  charging: z.boolean().optional(),
  registrationChanges: z.boolean().optional(),
});
const Bank = z.object({
  code: z.string(),
  participating: z.boolean(),
  authMethod: z.string().nullable(),
  linking: z.boolean(),
  charging: z.boolean(),
  registrationChanges: z.boolean(),
  perChargeLimit: z.number().int().nullable(),
  monthlyLimit: z.number().int().nullable(),
  coolingOffDays: z.number().int().nullable(),
  newLinkDailyLimit: z.number().int().nullable(),
  updatedAt: S.Timestamp,
});
const SwitchChange = z.object({
  id: z.string(),
  bankCode: z.string(),
  changes: Switches,
  reason: z.string(),
  actor: z.string(),
  at: S.Timestamp,
});
const AuditRecord = z.object({
  seq: z.number().int(),
  id: z.string(),
  at: S.Timestamp,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
const CaseStatusSchema = z.enum(CASE_STATUSES as [CaseStatus, ...CaseStatus[]]);
const Case = z.object({
  id: z.string(),
  kind: z.enum(CASE_KINDS as [CaseKind, ...CaseKind[]]),
  status: CaseStatusSchema,
  assignee: z.string().nullable(),
  bankAccount: z.object({ bankCode: z.string(), branchCode: z.string(), accountNumberLast4: z.string() }).nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: S.Timestamp,
  updatedAt: S.Timestamp,
});
const CaseEvent = z.object({
  id: z.string(),
  actor: z.string(),
  from: CaseStatusSchema,
  to: CaseStatusSchema,
  assignee: z.string().nullable(),
  note: z.string(),
  at: S.Timestamp,
});
const Reasons = z.array(z.object({ rule: z.string(), message: z.string() }));
const Decision = z.enum(['allow', 'challenge', 'review', 'deny']);
const ReviewEvent = z.object({
  id: z.string(),
  type: z.string(),
  userId: z.string(),
  objectId: z.string().nullable(),
  amount: z.number(),
  at: S.Timestamp,
  event: z.record(z.string(), z.unknown()).describe('The scored event; bankAccount masked to its last four digits'),
  signals: z.record(z.string(), z.unknown()),
  decision: Decision,
  score: z.number(),
  reasons: Reasons,
  ruleSetVersion: z.number().int(),
  shadow: z.object({ version: z.number().int(), decision: z.string(), score: z.number(), reasons: Reasons }).nullable(),
  label: z.enum(['fraud', 'not_fraud']).nullable(),
});
const RiskReview = z.object({
  events: z.array(ReviewEvent).describe("The object's stored risk events, newest first"),
  related: z
    .object({
      device: z.array(ReviewEvent),
      ip: z.array(ReviewEvent),
      bankAccount: z.array(ReviewEvent),
      recipient: z.array(ReviewEvent),
    })
    .describe('Other stored events with the same device, IP, bank account or payee: 20 each, newest first'),
});
const CaseListEntry = z.object({
  id: z.string(),
  list: z.enum(['block', 'allow', 'watch']),
  kind: z.enum(LIST_KINDS),
  value: z.string(),
  reason: z.string(),
  expiresAt: S.Timestamp.nullable(),
  createdBy: z.string(),
  createdAt: S.Timestamp,
});
const CaseActionResult = z.object({
  action: z.enum(CASE_ACTIONS),
  case: Case,
  object: z
    .union([
      z.object({
        object: z.enum(REVIEW_KINDS),
        id: z.string(),
        status: S.MoneyStatus,
        failureCode: S.MoneyFailureCode.optional(),
      }),
      // A bank link held for review at linking: active once approved, failed once rejected.
      z.object({
        object: z.literal('bank_link'),
        id: z.string(),
        status: z.string(),
        failureCode: z.enum(LINK_FAILURE_CODES).optional(),
      }),
    ])
    .optional(),
  frozenWallets: z.array(z.string()).optional(),
  unfrozenWallets: z.array(z.string()).optional(),
  listEntries: z.array(CaseListEntry).optional(),
  labelled: z.number().int().optional(),
});
const BankCode = z.object({
  code: z
    .string()
    .regex(/^\d{4}$/)
    .describe('4-digit Zengin bank code'),
});
const page = (q: { limit: number; starting_after?: string | undefined }) => ({
  limit: q.limit,
  ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
});

/**
 * Who may do what. Reading the switches is for every operator; moving them is not for support (a bank's staff:
 * its own bank, off only). Routes without roles are for Saifu's staff; `bank` is named where a bank's staff may
 * come, and those routes scope by its bank (bankScopeOf).
 */
const SWITCH_ROLES: Role[] = ['fraud_analyst', 'compliance', 'admin', 'bank'];
const AUDIT_ROLES: Role[] = ['compliance', 'admin'];
const CASE_ROLES: Role[] = ['fraud_analyst', 'compliance', 'admin'];

/** /v1/admin: operator sessions with roles; every action audited (see ops/). */
export function adminRoutes(s: Services): FastifyPluginAsyncZod {
  /** Staff and bank staff alike (bank staff scoped by the handler); `requireOperator(s)` alone admits staff only. */
  const anyRole = requireOperator(s, ...ROLES);
  return async (app) => {
    // Every admin route but the sign-in must carry requireOperator: a route added without it stops the server starting.
    app.addHook('onRoute', (route) => {
      if (route.url === '/v1/admin/sessions' && route.method === 'POST') return;
      if (!hasOperatorGuard(route))
        throw new Error(`${String(route.method)} ${route.url} has no requireOperator preValidation`);
    });

    app.post('/v1/admin/sessions', {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['admin'],
        summary: 'Operator sign-in with password and TOTP code: an ops_… session token for 8 hours',
        description:
          'Operators are enrolled in TOTP when created (`saifu operators create` prints the otpauth:// URI once): `otp` is the current 6-digit code, good once. A right password without `otp` is 401 mfa_required (not counted); a wrong password or code is 401 invalid_credentials. Five consecutive failures lock the email (429 too_many_attempts, same answer for unknown emails); attempts are counted before the password and code are checked. Sign-ins and failed sign-ins of existing operators are audited; unknown emails write nothing.',
        security: [],
        body: z.object({
          email: z.string().max(254),
          password: z.string().max(200),
          otp: z.string().max(12).optional().describe('The current code from the authenticator app'),
        }),
        response: { 201: z.object({ token: z.string(), operator: Operator }), ...S.errors(400, 401, 429) },
      },
      handler: async (req, reply) => {
        const deviceId = req.headers['x-device-id'];
        const context = { ip: req.ip, ...(typeof deviceId === 'string' ? { deviceId: deviceId.slice(0, 100) } : {}) };
        return reply.code(201).send(await s.ops.login(req.body.email, req.body.password, context, req.body.otp));
      },
    });

    app.delete('/v1/admin/sessions/current', {
      preValidation: anyRole,
      schema: {
        tags: ['admin'],
        summary: 'Operator sign-out (revokes this session)',
        response: { 204: z.null(), ...S.errors(401, 403) },
      },
      handler: async (req, reply) => {
        await s.ops.logout(req.operator!.id, req.operatorToken!);
        return reply.code(204).send(null);
      },
    });

    app.get('/v1/admin/me', {
      preValidation: anyRole,
      schema: {
        tags: ['admin'],
        summary: 'The signed-in operator',
        response: { 200: Operator, ...S.errors(401, 403) },
      },
      handler: async (req) => req.operator!,
    });

    app.get('/v1/admin/banks', {
      preValidation: anyRole,
      schema: {
        tags: ['admin'],
        summary: 'Banks configured in Saifu with their switches and limits (any operator)',
        response: { 200: z.object({ data: z.array(Bank) }), ...S.errors(401, 403) },
      },
      handler: async () => ({ data: await s.ops.listBanks() }),
    });

    app.patch('/v1/admin/banks/:code', {
      preValidation: requireOperator(s, ...SWITCH_ROLES),
      schema: {
        tags: ['admin'],
        summary:
          'Switch a bank’s new linking, charging or registration changes on or off, with a reason (fraud_analyst, compliance, admin; bank: its own bank’s linking or charging, off only)',
        description: `A bank operator may switch only its own bank's linking or charging, and only off (403 operator_forbidden otherwise). Takes effect for every request that reads the bank after it commits; recorded with its reason in the bank’s switch history and the audit log. A missing or blank reason is 400 reason_required; at least one switch must be given; a bank not configured in Saifu is 404 unknown_bank.`,
        params: BankCode,
        body: z.strictObject({
          ...Switches.shape,
          reason: z.string().max(MAX_REASON_LENGTH).optional().describe(`Why (1–${MAX_REASON_LENGTH} characters)`),
        }),
        response: { 200: Bank, ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req) => {
        const { reason, ...changes } = req.body;
        return s.ops.setBankSwitches(req.operator!, req.params.code, changes, reason ?? '');
      },
    });

    app.get('/v1/admin/banks/:code/switch-changes', {
      preValidation: anyRole,
      schema: {
        tags: ['admin'],
        summary: 'A bank’s switch history with reasons, newest first (any operator; bank: its own bank)',
        params: BankCode,
        querystring: S.ListQuery,
        response: {
          200: z.object({ data: z.array(SwitchChange), has_more: z.boolean() }),
          ...S.errors(400, 401, 403, 404),
        },
      },
      handler: async (req) => {
        const r = await s.ops.switchHistory(req.params.code, page(req.query), req.operator!);
        return { data: r.data, has_more: r.hasMore };
      },
    });

    app.get('/v1/admin/cases', {
      preValidation: anyRole,
      schema: {
        tags: ['admin'],
        summary:
          'Cases opened by unauthorized reports, security detections and risk reviews, newest first (any operator; bank: its own bank’s)',
        description:
          'A bank operator sees only cases involving its bank: its customers’ accounts (reports, detections, link reviews) or charges and withdrawals on links to it. `userId` finds the cases about a wallet (a review of its money, or a report that froze it); `decision` the risk reviews opened by that decision.',
        querystring: S.ListQuery.extend({
          kind: z.enum(CASE_KINDS as [CaseKind, ...CaseKind[]]).optional(),
          status: CaseStatusSchema.optional(),
          assignee: z.string().max(64).optional(),
          userId: z.string().max(64).optional(),
          decision: Decision.optional(),
        }),
        response: { 200: z.object({ data: z.array(Case), has_more: z.boolean() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const r = await s.cases.listCases({
          ...page(req.query),
          ...(req.query.kind ? { kind: req.query.kind } : {}),
          ...(req.query.status ? { status: req.query.status } : {}),
          ...(req.query.assignee ? { assignee: req.query.assignee } : {}),
          ...(req.query.userId ? { userId: req.query.userId } : {}),
          ...(req.query.decision ? { decision: req.query.decision } : {}),
          ...(bankScopeOf(req.operator!) ? { bankCode: bankScopeOf(req.operator!) } : {}),
        });
        return { data: r.data, has_more: r.hasMore };
      },
    });

    app.get('/v1/admin/cases/:id', {
      preValidation: anyRole,
      schema: {
        tags: ['admin'],
        summary:
          'One case with its history, and a risk review’s evidence (the view is audited; any operator; bank: its own bank’s, else 403 operator_forbidden)',
        params: z.object({ id: z.string().max(64) }),
        response: {
          200: Case.extend({ events: z.array(CaseEvent), review: RiskReview.optional() }),
          ...S.errors(401, 403, 404),
        },
      },
      handler: async (req) => s.cases.viewCase(req.operator!.id, req.params.id, bankScopeOf(req.operator!)),
    });

    app.patch('/v1/admin/cases/:id', {
      preValidation: requireOperator(s, ...CASE_ROLES),
      schema: {
        tags: ['admin'],
        summary:
          'Work a case: move it (open → investigating → resolved | dismissed) and/or assign it, with a note (fraud analysts, compliance, admin; audited)',
        params: z.object({ id: z.string().max(64) }),
        body: z.object({
          status: CaseStatusSchema.optional(),
          assignee: z.string().max(64).nullable().optional(),
          note: z.string().max(1000),
        }),
        response: { 200: Case, ...S.errors(400, 401, 403, 404, 409) },
      },
      handler: async (req) =>
        s.cases.updateCase(req.operator!.id, req.params.id, {
          note: req.body.note,
          ...(req.body.status ? { status: req.body.status } : {}),
          ...(req.body.assignee !== undefined ? { assignee: req.body.assignee } : {}),
        }),
    });

    app.post('/v1/admin/cases/:id/actions', {
      preValidation: requireOperator(s, ...CASE_ROLES),
      schema: {
        tags: ['admin'],
        summary:
          'An analyst action on a case, with a note: approve or reject the held money, freeze or unfreeze the wallet, block, label (fraud analysts, compliance, admin; audited)',
        description: `\`unfreeze_wallet\` on an \`unauthorized_report\` case needs a second operator: it answers 202 with the four-eyes approval (\`approval\`, action \`case.unfreeze_wallet\`) and unfreezes nothing until another operator approves it (POST /v1/admin/approvals/{id}/approve). Each action is one transaction with its case event and audit record (\`case.<action>\`). \`approve\` posts a risk review's hold (payments, transfers) or sends the charge or withdrawal to the bank; \`reject\` voids it (\`failed\`, \`risk_rejected\`); both resolve the case, only from open or investigating, and a second one is 409 \`invalid_state\`. \`freeze_wallet\` / \`unfreeze_wallet\` act on the case's wallet(s). \`block\` adds a block-list entry (value defaults to the case's own: its event's device, IP, user, bank account or payee). \`label\` labels the stored risk events (back-tests); \`fraud\` also spreads one hop: the wallet, its bank account and the devices, IPs and payees of its last 30 days go on the watch list for 90 days.`,
        params: z.object({ id: z.string().max(64) }),
        body: z.strictObject({
          action: z.enum(CASE_ACTIONS),
          note: z.string().max(1000),
          label: z.enum(['fraud', 'not_fraud']).optional(),
          block: z
            .strictObject({
              kind: z.enum(LIST_KINDS),
              value: z.string().min(1).max(200).optional(),
              expiresAt: z.iso.datetime().optional(),
            })
            .optional(),
        }),
        response: {
          200: CaseActionResult,
          202: CaseActionResult.extend({ approval: Approval }),
          ...S.errors(400, 401, 403, 404, 409, 422, 503),
        },
      },
      handler: async (req, reply) => {
        const { action, note, label, block } = req.body;
        const result = await s.cases.act(req.operator!.id, req.params.id, {
          action,
          note,
          ...(label ? { label } : {}),
          ...(block
            ? {
                block: {
                  kind: block.kind,
                  ...(block.value ? { value: block.value } : {}),
                  ...(block.expiresAt ? { expiresAt: new Date(block.expiresAt) } : {}),
                },
              }
            : {}),
        });
        if (!result.approvalId) return reply.code(200).send(result);
        const { approvalId, ...rest } = result;
        return reply.code(202).send({ ...rest, approval: await s.ops.approvals.getApproval(approvalId) });
      },
    });

    app.get('/v1/admin/audit', {
      preValidation: requireOperator(s, ...AUDIT_ROLES),
      schema: {
        tags: ['admin'],
        summary: 'The audit log, newest first (compliance, admin)',
        description: 'starting_after takes a record id (aud_…) or a sequence number.',
        querystring: S.ListQuery,
        response: { 200: z.object({ data: z.array(AuditRecord), has_more: z.boolean() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const r = await s.ops.listAudit(page(req.query));
        return { data: r.data, has_more: r.hasMore };
      },
    });

    app.get('/v1/admin/audit/verify', {
      preValidation: requireOperator(s, ...AUDIT_ROLES),
      schema: {
        tags: ['admin'],
        summary: 'Recompute the audit hash chain (compliance, admin)',
        description:
          'ok=false names the first broken record in firstBrokenSeq. lastHash (when ok) is worth noting outside the database: a later chain that does not contain it was rewritten.',
        response: {
          200: z.object({
            ok: z.boolean(),
            checked: z.number().int(),
            firstBrokenSeq: z.number().int().optional(),
            lastHash: z.string().optional(),
          }),
          ...S.errors(401, 403),
        },
      },
      handler: async () => s.ops.verifyAudit(),
    });

    // Four-eyes approvals (registered here so the onRoute check above covers them).
    await app.register(approvalRoutes(s));
  };
}
