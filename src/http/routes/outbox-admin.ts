import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_REASON_LENGTH, type Role, STAFF_ROLES } from '../../ops/index.ts';
import { AppError } from '../../platform/index.ts';
import type { Services } from '../../services.ts';
import { hasOperatorGuard, requireOperator } from '../operator-auth.ts';
import * as S from '../schemas.ts';

const P = '/v1/admin/outbox';
/** Re-sending puts a message in front of a person or a merchant again: admins and compliance only. */
const RESEND_ROLES: Role[] = ['admin', 'compliance'];
/** Reading: Saifu's staff. Not bank staff: the outbox holds every user's addresses and every merchant's events. */
const READ_ROLES: Role[] = [...STAFF_ROLES];

const Channel = z.enum(['email', 'sms', 'bank_notice', 'webhook']);
const Status = z.enum(['pending', 'sent', 'dead']);
const OutboxMessage = z.object({
  id: z.string().describe('obx_…: also the delivery id (SMTP Message-ID, Saifu-Delivery-Id)'),
  channel: Channel,
  to: z.string().describe('Email, phone or webhook endpoint id'),
  template: z.string(),
  locale: z.enum(['ja', 'en']),
  data: z.record(z.string(), z.unknown()),
  idempotencyKey: z.string().nullable(),
  status: Status,
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  nextAttemptAt: S.Timestamp.nullable(),
  lastError: z.string().nullable(),
  createdAt: S.Timestamp,
  sentAt: S.Timestamp.nullable(),
});
const Delivery = z.object({
  id: z.string(),
  attempt: z.number().int(),
  status: z.enum(['sent', 'failed']),
  error: z.string().nullable(),
  responseStatus: z.number().int().nullable(),
  durationMs: z.number().int(),
  startedAt: S.Timestamp,
});
const IdParams = z.object({ id: z.string().min(1).max(64) });

/** /v1/admin/outbox: what Saifu sent or is sending, each attempt, and operators' re-sends (audited). */
export function outboxAdminRoutes(s: Services): FastifyPluginAsyncZod {
  const staff = requireOperator(s, ...READ_ROLES);
  const resender = requireOperator(s, ...RESEND_ROLES);

  return async (app) => {
    app.addHook('onRoute', (route) => {
      if (!hasOperatorGuard(route))
        throw new Error(`${String(route.method)} ${route.url} has no requireOperator preValidation`);
    });

    app.get(P, {
      preValidation: staff,
      schema: {
        tags: ['admin', 'outbox'],
        summary: 'Outbox messages, newest first (staff: not bank operators)',
        querystring: S.ListQuery.extend({ status: Status.optional(), channel: Channel.optional() }),
        response: {
          200: z.object({ data: z.array(OutboxMessage), has_more: z.boolean() }),
          ...S.errors(400, 401, 403),
        },
      },
      handler: async (req) =>
        s.outbox.list({
          limit: req.query.limit,
          status: req.query.status,
          channel: req.query.channel,
          startingAfter: req.query.starting_after,
        }),
    });

    app.get(`${P}/:id`, {
      preValidation: staff,
      schema: {
        tags: ['admin', 'outbox'],
        summary: 'One outbox message with its delivery log, oldest attempt first (staff: not bank operators)',
        params: IdParams,
        response: { 200: OutboxMessage.extend({ deliveries: z.array(Delivery) }), ...S.errors(400, 401, 403, 404) },
      },
      handler: async (req) => s.outbox.get(req.params.id),
    });

    app.post(`${P}/:id/resend`, {
      preValidation: resender,
      schema: {
        tags: ['admin', 'outbox'],
        summary: 'Send a sent or dead message again, same delivery id (admin, compliance; audited)',
        params: IdParams,
        body: z.object({ reason: z.string().max(MAX_REASON_LENGTH).describe('Why (kept in the audit log)') }),
        response: { 200: OutboxMessage, ...S.errors(400, 401, 403, 404, 409) },
      },
      handler: async (req) => {
        const reason = req.body.reason.trim();
        if (!reason)
          throw new AppError('reason_required', 'give a reason (it is kept in the audit log)', { field: 'reason' });
        return s.outbox.resend(req.params.id, { actor: req.operator!.id, reason });
      },
    });
  };
}
