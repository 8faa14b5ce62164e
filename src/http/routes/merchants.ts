import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_REASON_LENGTH, type Role, STAFF_ROLES } from '../../ops/index.ts';
import { AppError } from '../../platform/index.ts';
import type { Services } from '../../services.ts';
import { authHandlers } from '../auth.ts';
import { hasOperatorGuard, requireOperator } from '../operator-auth.ts';
import * as S from '../schemas.ts';

/** Onboarding, keys and suspension: admin and compliance. Saifu's staff read (not banks' operators: nothing here is one bank's). */
const MERCHANT_ROLES: Role[] = ['compliance', 'admin'];

const Merchant = z.object({
  id: z.string(),
  object: z.literal('merchant'),
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  legalNameKana: z.string().nullable(),
  payoutAccount: z
    .object({
      bankCode: z.string(),
      branchCode: z.string(),
      accountType: z.string(),
      accountNumberLast4: z.string(),
      nameMatchScore: z.number().int().nullable(),
    })
    .nullable(),
  webhookUrl: z.string().nullable(),
  keyRotatedAt: S.Timestamp.nullable(),
  previousKeyExpiresAt: S.Timestamp.nullable(),
  suspendedAt: S.Timestamp.nullable(),
  createdAt: S.Timestamp,
});
export const PaymentRequest = z.object({
  id: z.string(),
  object: z.literal('payment_request'),
  merchantId: z.string(),
  status: z.enum(['open', 'paid', 'expired', 'cancelled']),
  amount: z.number().int(),
  reference: z.string(),
  expiresAt: S.Timestamp,
  qr: z.string().describe('The QR code text: saifu://pay?r=<id>&a=<amount>&m=<merchantId>'),
  paymentId: z.string().nullable(),
  paidAt: S.Timestamp.nullable(),
  createdAt: S.Timestamp,
});
const Reason = z.object({
  reason: z.string().min(1).max(MAX_REASON_LENGTH).describe(`Why (1–${MAX_REASON_LENGTH} characters)`),
});
const MerchantId = z.object({ id: z.string().max(64) });

/** /v1/admin/merchants (operators) and /v1/payment-requests (merchant API keys; a wallet reads one before paying). */
export function merchantRoutes(s: Services): FastifyPluginAsyncZod {
  const auth = authHandlers(s);
  const anyOperator = requireOperator(s, ...STAFF_ROLES);
  const writer = requireOperator(s, ...MERCHANT_ROLES);
  const merchantOf = (req: { merchant?: { id: string } }) => {
    if (!req.merchant) throw new AppError('unauthorized', 'merchant key required');
    return req.merchant.id;
  };
  return async (app) => {
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/v1/admin/') && !hasOperatorGuard(route))
        throw new Error(`${String(route.method)} ${route.url} has no requireOperator preValidation`);
    });

    app.post('/v1/admin/merchants', {
      preValidation: writer,
      schema: {
        tags: ['admin'],
        summary: 'Onboard a merchant; returns its API key (and webhook signing secret) once (compliance, admin)',
        description:
          "The bank is asked for the payout account's holder name, which must match `legalNameKana` (the banks' kana name matcher, score ≥ 85): otherwise 422 `payout_name_mismatch` (details.score) or 422 `payout_account_not_found`, and nothing is created. Audited (`merchant.onboarded`).",
        body: z.strictObject({
          name: z.string().min(1).max(100),
          legalNameKana: z.string().min(1).max(48),
          payoutAccount: z.strictObject({
            bankCode: z.string().regex(/^\d{4}$/, 'a 4-digit bank code'),
            branchCode: z.string().regex(/^\d{3}$/, 'a 3-digit branch code'),
            accountType: z.enum(['ordinary', 'current', 'savings']).default('ordinary'),
            accountNumber: z.string().regex(/^\d{7}$/, 'exactly 7 digits'),
          }),
          webhookUrl: z
            .url({ protocol: /^https?$/ })
            .max(2000)
            .optional(),
        }),
        response: {
          201: z.object({ merchant: Merchant, apiKey: z.string(), webhookSecret: z.string().optional() }),
          ...S.errors(400, 401, 403, 422),
        },
      },
      handler: async (req, reply) => {
        const { webhookUrl, ...rest } = req.body;
        const r = await s.merchants.onboard(req.operator!.id, { ...rest, ...(webhookUrl ? { webhookUrl } : {}) });
        return reply.code(201).send(r);
      },
    });

    app.get('/v1/admin/merchants', {
      preValidation: anyOperator,
      schema: {
        tags: ['admin'],
        summary: 'Merchants, newest first (Saifu staff)',
        querystring: S.ListQuery,
        response: { 200: z.object({ data: z.array(Merchant), has_more: z.boolean() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req) => {
        const r = await s.merchants.list({
          limit: req.query.limit,
          ...(req.query.starting_after ? { startingAfter: req.query.starting_after } : {}),
        });
        return { data: r.data, has_more: r.hasMore };
      },
    });

    app.get('/v1/admin/merchants/:id', {
      preValidation: anyOperator,
      schema: {
        tags: ['admin'],
        summary: 'A merchant (Saifu staff)',
        params: MerchantId,
        response: { 200: Merchant, ...S.errors(401, 403, 404) },
      },
      handler: async (req) => s.merchants.get(req.params.id),
    });

    app.post('/v1/admin/merchants/:id/keys', {
      preValidation: writer,
      schema: {
        tags: ['admin'],
        summary:
          'Rotate the API key: the new key is shown once; the old one works until previousKeyExpiresAt (compliance, admin)',
        description:
          'The grace period is 24 hours by default. Only one previous key is kept: a key rotated out earlier stops at once. Audited (`merchant.key_rotated`).',
        params: MerchantId,
        body: Reason,
        response: {
          201: z.object({ apiKey: z.string(), previousKeyExpiresAt: S.Timestamp }),
          ...S.errors(400, 401, 403, 404),
        },
      },
      handler: async (req, reply) =>
        reply.code(201).send(await s.merchants.rotateKey(req.operator!.id, req.params.id, req.body.reason)),
    });

    for (const [action, verb] of [
      ['suspend', 'Suspend: no new payment requests, no payments (refunds still allowed)'],
      ['reinstate', 'Reinstate a suspended merchant'],
    ] as const) {
      app.post(`/v1/admin/merchants/:id/${action}`, {
        preValidation: writer,
        schema: {
          tags: ['admin'],
          summary: `${verb} (compliance, admin; audited)`,
          params: MerchantId,
          body: Reason,
          response: { 200: Merchant, ...S.errors(400, 401, 403, 404, 409) },
        },
        handler: async (req) => s.merchants[action](req.operator!.id, req.params.id, req.body.reason),
      });
    }

    app.post('/v1/payment-requests', {
      preValidation: auth.requireMerchant,
      schema: {
        tags: ['merchants'],
        summary: 'Ask for a payment (merchant API key): an id and the QR code text a wallet pays it by',
        description:
          'expiresAt must be in the future and at most 30 days away. A reference is unique per merchant (409 `invalid_state` with details.id for a second one). 403 `merchant_suspended` while suspended.',
        body: z.strictObject({
          amount: S.Amount,
          reference: z.string().min(1).max(255),
          expiresAt: z.iso.datetime({ offset: true }),
        }),
        response: { 201: PaymentRequest, ...S.errors(400, 401, 403, 409) },
      },
      handler: async (req, reply) => {
        const r = await s.merchants.requests.create(merchantOf(req), {
          amount: S.inputAmount(req.body.amount),
          reference: req.body.reference,
          expiresAt: new Date(req.body.expiresAt),
        });
        return reply.code(201).send(r);
      },
    });

    app.get('/v1/payment-requests/:id', {
      preValidation: auth.requireUserOrMerchant,
      schema: {
        tags: ['merchants'],
        summary: 'A payment request, as its merchant or a wallet about to pay it sees it',
        params: z.object({ id: z.string().max(64) }),
        response: { 200: PaymentRequest, ...S.errors(401, 404) },
      },
      handler: async (req) => s.merchants.requests.get(req.params.id, req.merchant?.id),
    });

    app.post('/v1/payment-requests/:id/cancel', {
      preValidation: auth.requireMerchant,
      schema: {
        tags: ['merchants'],
        summary: 'Cancel an open payment request (merchant API key)',
        params: z.object({ id: z.string().max(64) }),
        response: { 200: PaymentRequest, ...S.errors(401, 403, 404, 409) },
      },
      handler: async (req) => s.merchants.requests.cancel(merchantOf(req), req.params.id),
    });
  };
}
