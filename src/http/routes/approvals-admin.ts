import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { APPROVAL_STATUSES, type ApprovalStatus, MAX_APPROVAL_TEXT, type Role } from '../../ops/index.ts';
import type { Services } from '../../services.ts';
import { requireOperator } from '../operator-auth.ts';
import * as S from '../schemas.ts';

export const Approval = z.object({
  id: z.string(),
  action: z.string().describe('What runs when approved, e.g. case.unfreeze_wallet'),
  target: z.string(),
  payload: z.record(z.string(), z.unknown()),
  requestedBy: z.string(),
  reason: z.string(),
  status: z.enum(APPROVAL_STATUSES as [ApprovalStatus, ...ApprovalStatus[]]),
  decidedBy: z.string().nullable(),
  decisionNote: z.string().nullable(),
  result: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('What the action returned (executed), or {error: {code, message}} (failed)'),
  requestedAt: S.Timestamp,
  decidedAt: S.Timestamp.nullable(),
});

/** Deciding is for the roles that work cases; reading is for any of Saifu's staff (never a bank's). */
const DECIDE_ROLES: Role[] = ['fraud_analyst', 'compliance', 'admin'];
const Id = z.object({ id: z.string().max(64) });

/** /v1/admin/approvals: four-eyes requests and their decisions (ops/approvals.ts). */
export function approvalRoutes(s: Services): FastifyPluginAsyncZod {
  const staff = requireOperator(s);
  const decider = requireOperator(s, ...DECIDE_ROLES);
  return async (app) => {
    app.get('/v1/admin/approvals', {
      preValidation: staff,
      schema: {
        tags: ['admin'],
        summary: 'Four-eyes requests, newest first (Saifu staff)',
        querystring: S.ListQuery.extend({
          status: z.enum(APPROVAL_STATUSES as [ApprovalStatus, ...ApprovalStatus[]]).optional(),
          action: z.string().max(100).optional(),
        }),
        response: { 200: z.object({ data: z.array(Approval), has_more: z.boolean() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const q = req.query;
        const r = await s.ops.approvals.listApprovals({
          limit: q.limit,
          ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.action ? { action: q.action } : {}),
        });
        return { data: r.data, has_more: r.hasMore };
      },
    });

    app.get('/v1/admin/approvals/:id', {
      preValidation: staff,
      schema: {
        tags: ['admin'],
        summary: 'One four-eyes request (Saifu staff)',
        params: Id,
        response: { 200: Approval, ...S.errors(401, 403, 404) },
      },
      handler: async (req) => s.ops.approvals.getApproval(req.params.id),
    });

    for (const decision of ['approve', 'reject'] as const) {
      app.post(`/v1/admin/approvals/:id/${decision}`, {
        preValidation: decider,
        schema: {
          tags: ['admin'],
          summary:
            decision === 'approve'
              ? 'Approve a four-eyes request: its action runs now, in the same transaction (fraud_analyst, compliance, admin; never the requester)'
              : 'Reject a four-eyes request: nothing runs (fraud_analyst, compliance, admin; never the requester)',
          description:
            'The requester may not decide (403 self_approval); a request already decided is 409 invalid_state, so of parallel approvals exactly one runs the action. An action that refuses (its own error) leaves the request `failed` with the error in `result`. The decision and the action are audited (`approval.execute` | `approval.reject` | `approval.fail`).',
          params: Id,
          body: z.object({ note: z.string().max(MAX_APPROVAL_TEXT).describe('Why (1–1000 characters)') }),
          response: { 200: Approval, ...S.errors(400, 401, 403, 404, 409) },
        },
        handler: async (req) => s.ops.approvals.decide(req.operator!, req.params.id, decision, req.body.note),
      });
    }
  };
}
