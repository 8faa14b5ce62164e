import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FORCE_RELINK_APPROVAL, MAX_RELINK_REASON } from '../../banks/index.ts';
import { inTransaction } from '../../db/index.ts';
import type { Role } from '../../ops/index.ts';
import type { Services } from '../../services.ts';
import { requireOperator } from '../operator-auth.ts';
import * as S from '../schemas.ts';

/** Asking for and resuming a forced re-link: Saifu's risk staff; reading them: any staff operator. */
const RELINK_ROLES: Role[] = ['fraud_analyst', 'compliance', 'admin'];
const STAFF: Role[] = ['support', 'fraud_analyst', 'compliance', 'admin'];

const Relink = z.object({
  id: z.string(),
  bankCode: z.string().nullable().describe('null: every bank'),
  reason: z.string(),
  requestedBy: z.string(),
  approvedBy: z.string(),
  approvalId: z.string().nullable(),
  status: z.enum(['running', 'done']),
  linksMoved: z.number().int(),
  usersNotified: z.number().int(),
  createdAt: S.Timestamp,
  completedAt: S.Timestamp.optional(),
});
const Approval = z.object({
  id: z.string(),
  action: z.string(),
  target: z.string(),
  status: z.string(),
  requestedBy: z.string(),
  reason: z.string(),
  requestedAt: S.Timestamp,
});

/** /v1/admin/relinks: forced re-links (banks/relinks.ts), asked by one operator and approved by another. */
export function relinkAdminRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/v1/admin/relinks', {
      preValidation: requireOperator(s, ...RELINK_ROLES),
      schema: {
        tags: ['admin'],
        summary:
          'Ask for a forced re-link: every active link at a bank (or all banks) must be linked again (fraud_analyst, compliance, admin; a second operator approves)',
        description: `Creates a four-eyes approval (\`${FORCE_RELINK_APPROVAL}\`, target the bank code or \`all\`); nothing changes until a different operator approves it at POST /v1/admin/approvals/{id}/approve. Then every active link there becomes \`relink_required\` (never usable for charges or withdrawals; balances untouched) and each wallet gets one message with the reason. The work runs after the approval in batches of 500 wallets, each its own transaction, and resumes where it stopped (GET /v1/admin/relinks/{id} shows progress). A bank not configured in Saifu is 404 unknown_bank; a blank reason 400 reason_required. Asking again while a request is open returns that request.`,
        body: z.strictObject({
          bankCode: z
            .union([z.literal('all'), z.string().regex(/^\d{4}$/, 'a 4-digit bank code')])
            .describe('A 4-digit Zengin bank code, or "all"'),
          reason: z
            .string()
            .max(MAX_RELINK_REASON)
            .describe(`Why, told to every user (1–${MAX_RELINK_REASON} characters)`),
        }),
        response: { 202: Approval, ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req, reply) => {
        const { bankCode, reason } = await s.banks.relinks.checkRelinkRequest(req.body.bankCode, req.body.reason);
        const approval = await s.ops.approvals.requestApproval(undefined, {
          action: FORCE_RELINK_APPROVAL,
          target: bankCode ?? 'all',
          payload: { bankCode: bankCode ?? 'all', reason },
          requestedBy: req.operator!.id,
          reason,
        });
        return reply.code(202).send(approval);
      },
    });

    app.get('/v1/admin/relinks', {
      preValidation: requireOperator(s, ...STAFF),
      schema: {
        tags: ['admin'],
        summary: 'Approved forced re-links and their progress, newest first',
        querystring: S.ListQuery,
        response: { 200: z.object({ data: z.array(Relink), has_more: z.boolean() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const r = await s.banks.relinks.listRelinks(req.query.limit, req.query.starting_after);
        return { data: r.data, has_more: r.hasMore };
      },
    });

    app.get('/v1/admin/relinks/:id', {
      preValidation: requireOperator(s, ...STAFF),
      schema: {
        tags: ['admin'],
        summary: 'One forced re-link: links moved, users told, running or done',
        params: z.object({ id: z.string().max(64) }),
        response: { 200: Relink, ...S.errors(401, 403, 404) },
      },
      handler: async (req) => s.banks.relinks.getRelink(req.params.id),
    });

    app.post('/v1/admin/relinks/:id/resume', {
      preValidation: requireOperator(s, ...RELINK_ROLES),
      schema: {
        tags: ['admin'],
        summary: 'Run a forced re-link that stopped on to its end (audited)',
        description:
          'Continues from the last batch that committed; a run another process holds (lease) is left to it. Answers when the run is done (or when the other runner holds it).',
        params: z.object({ id: z.string().max(64) }),
        response: { 200: Relink, ...S.errors(401, 403, 404) },
      },
      handler: async (req) => {
        const relink = await s.banks.relinks.getRelink(req.params.id);
        await inTransaction(s.db, (trx) =>
          s.ops.audit.append(trx, {
            actor: req.operator!.id,
            action: `${FORCE_RELINK_APPROVAL}.resume`,
            target: relink.id,
            details: { status: relink.status },
          }),
        );
        return s.banks.relinks.runRelink(relink.id);
      },
    });
  };
}
