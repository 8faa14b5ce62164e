import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod as Plugin } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LinkView } from '../../banks/index.ts';
import type { Services } from '../../services.ts';
import { authHandlers } from '../auth.ts';
import * as S from '../schemas.ts';

export const Authorization = z.object({
  method: z.enum(['otp', 'app', 'legacy_pin']),
  step: z.enum(['pin', 'otp', 'app']),
  attemptsLeft: z.number().int(),
  expiresAt: S.Timestamp,
});
export const LinkPurpose = z
  .enum(['charges_and_withdrawals', 'withdrawals'])
  .describe(
    'withdrawals: the link only receives withdrawals and is never charged (422 `link_withdrawals_only`); once active it becomes the withdrawal account as with POST /v1/bank-links/{id}/withdrawal-account (cooling-off, the user told on every channel), unless it is the wallet’s first link',
  );
export const LinkSchema = z.object({
  id: z.string(),
  status: z
    .enum(['pending_authorization', 'active', 'failed', 'frozen', 'unlinked', 'in_review', 'relink_required'])
    .describe(
      'in_review: authenticated by the bank, held by a risk review; never usable for charges. relink_required: cut by an operators’ forced re-link; never usable again: link the account anew',
    ),
  bankCode: z.string(),
  branchCode: z.string(),
  accountType: z.enum(['ordinary', 'current', 'savings']),
  accountNumberLast4: z.string().describe('Full account numbers never leave the server'),
  purpose: LinkPurpose,
  failureCode: S.LinkFailureCode.optional(),
  nameMatch: z.object({ score: z.number().int() }).optional(),
  authorization: Authorization.optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  limits: z.object({ daily: S.LimitUse.optional(), coolingOffUntil: S.Timestamp.optional() }).optional(),
  createdAt: S.Timestamp,
  activatedAt: S.Timestamp.optional(),
  risk: S.Risk.describe('The decision of the link attempt (allow/0 for links from before the risk engine)'),
  restrictions: z
    .array(S.RestrictionInForce)
    .optional()
    .describe('On GET: what a risk decision restricted on this link or on all charging, in force now'),
});

/** Where a wallet's withdrawals go (GET /v1/wallet, POST /v1/bank-links/{id}/withdrawal-account). */
export const WithdrawalAccount = z.object({
  bankLinkId: z.string(),
  since: S.Timestamp,
  coolingOffUntil: S.Timestamp.optional().describe(
    'While present, withdrawals to this link wait; the previous withdrawal account still receives them',
  ),
});

/** Where a request comes from, for per-device and per-IP defences (docs/api.md: X-Device-Id, client IP). */
export const sourceOf = (req: FastifyRequest) => ({
  deviceId: typeof req.headers['x-device-id'] === 'string' ? req.headers['x-device-id'].slice(0, 128) : undefined,
  ip: req.ip,
});

const secretLimit = { max: 20, timeWindow: '1 minute' };

export function bankLinkRoutes(s: Services): Plugin {
  const auth = authHandlers(s);
  const withLimits = async (userId: string, v: LinkView) => {
    if (v.status !== 'active') return v;
    const limits = await s.wallet.charges.linkLimits(await s.banks.links.getLink(userId, v.id));
    return Object.keys(limits).length > 0 ? { ...v, limits } : v;
  };
  return async (app) => {
    app.post('/v1/bank-links', {
      preValidation: auth.requireUser,
      config: { rateLimit: secretLimit },
      schema: {
        tags: ['bank links'],
        summary: 'Start linking a bank account (needs a verified identity, a confirmed phone and a fresh step-up)',
        description:
          'Give branch + account number, or for Japan Post Bank (9900) the 記号 `jpSymbol` and 番号 `jpNumber`. The bank then authenticates its customer by its method: see POST /v1/bank-links/{id}/authorize.',
        body: z.object({
          bankCode: z.string().regex(/^\d{4}$/, 'a 4-digit bank code'),
          branchCode: z.string().optional(),
          accountType: z.enum(['ordinary', 'current', 'savings']).optional(),
          accountNumber: z.string().optional(),
          jpSymbol: z.string().optional(),
          jpNumber: z.string().optional(),
          purpose: LinkPurpose.optional().describe(
            'Default charges_and_withdrawals. withdrawals: a link only withdrawals go to (needs a fresh step-up whatever the linking policy says); once active it is the withdrawal account after a cooling-off, the user told by SMS and email and the holder by a bank notice',
          ),
        }),
        response: { 201: LinkSchema, ...S.errors(400, 401, 403, 404, 409, 422, 429) },
      },
      handler: async (req, reply) =>
        reply.code(201).send(await s.linking.startLink(req.user!, req.body, sourceOf(req))),
    });

    app.post('/v1/bank-links/:id/authorize', {
      preValidation: auth.requireUser,
      config: { rateLimit: secretLimit },
      schema: {
        tags: ['bank links'],
        summary:
          'Authenticate with the bank: PIN, then the one-time code the bank sent to the holder (otp banks); app banks wait for the holder’s approval',
        params: z.object({ id: z.string() }),
        body: z.object({
          pin: z
            .string()
            .regex(/^\d{4}$/, 'the 4-digit cash-card PIN')
            .optional(),
          birthDate: z.iso.date().optional(),
          otp: z
            .string()
            .regex(/^\d{6}$/, 'the 6-digit code')
            .optional(),
        }),
        response: { 200: LinkSchema, ...S.errors(400, 401, 404, 409, 422, 429) },
      },
      handler: async (req) =>
        withLimits(req.user!.id, await s.linking.authorize(req.user!, req.params.id, req.body, sourceOf(req))),
    });

    app.get('/v1/bank-links', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['bank links'],
        summary: 'The user’s bank links',
        response: { 200: z.object({ data: z.array(LinkSchema), has_more: z.boolean() }), ...S.errors(401) },
      },
      handler: async (req) => {
        const links = await s.banks.links.listLinks(req.user!.id);
        return {
          data: await Promise.all(
            links.map(async (l) => withLimits(req.user!.id, await s.linking.getLink(req.user!.id, l.id))),
          ),
          has_more: false,
        };
      },
    });
    app.get('/v1/bank-links/:id', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['bank links'],
        summary: 'A bank link (polling an app approval settles it)',
        params: z.object({ id: z.string() }),
        response: { 200: LinkSchema, ...S.errors(401, 404) },
      },
      handler: async (req) => {
        const link = await withLimits(req.user!.id, await s.linking.getLink(req.user!.id, req.params.id));
        // This link's own restrictions, and caps on charging that bind every link of the wallet.
        const restrictions = (await s.wallet.restrictionsOf(req.user!.id)).filter((r) =>
          r.bankLinkId ? r.bankLinkId === link.id : r.type === 'charge_daily_cap',
        );
        return { ...link, restrictions };
      },
    });
    app.post('/v1/bank-links/:id/withdrawal-account', {
      preValidation: auth.requireUser,
      config: { rateLimit: secretLimit },
      schema: {
        tags: ['bank links'],
        summary: 'Make this link the wallet’s withdrawal account (needs a fresh step-up)',
        description:
          'Withdrawals go only to the withdrawal account (a wallet’s first link is it from the start). A change starts a cooling-off (72 h by default): withdrawals to the new account answer 422 `withdrawal_account_cooling_off` with `details.until`, while the previous account still receives them. Going back to the account withdrawals go to now, or re-linking the same bank account, starts none. The user is told by SMS and email, the account holder by a bank notice. Without a fresh second factor: 403 `step_up_required` (`details.stepUp`).',
        params: z.object({ id: z.string() }),
        response: { 200: WithdrawalAccount, ...S.errors(401, 403, 404, 409) },
      },
      handler: async (req) => s.banks.withdrawalAccounts.designate(req.user!, req.params.id),
    });

    app.delete('/v1/bank-links/:id', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['bank links'],
        summary: 'Unlink a bank account',
        params: z.object({ id: z.string() }),
        response: { 200: LinkSchema, ...S.errors(401, 404, 409) },
      },
      handler: async (req) => {
        await s.banks.links.unlink(req.user!.id, req.params.id);
        return s.linking.getLink(req.user!.id, req.params.id);
      },
    });
  };
}
