import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import type { BankLink } from '../../wallet/index.ts';
import { authHandlers } from '../auth.ts';
import * as S from '../schemas.ts';

/** Full account numbers never leave the server: a link shows the last 4 digits. */
export function presentLink(link: BankLink, coolingOffUntil: Date | null) {
  return {
    id: link.id,
    status: link.status,
    bankCode: link.bankCode,
    branchCode: link.branchCode,
    accountType: link.accountType,
    accountNumberLast4: link.accountNumber.slice(-4),
    createdAt: link.createdAt.toISOString(),
    ...(link.activatedAt ? { activatedAt: link.activatedAt.toISOString() } : {}),
    ...(coolingOffUntil ? { limits: { coolingOffUntil: coolingOffUntil.toISOString() } } : {}),
  };
}

export function bankLinkRoutes(s: Services): FastifyPluginAsyncZod {
  const auth = authHandlers(s);
  const links = s.wallet.links;
  return async (app) => {
    app.get('/v1/bank-links', {
      preValidation: auth.requireUser,
      schema: { tags: ['bank links'], summary: 'The user’s bank links', response: { 200: z.object({ data: z.array(S.BankLink), has_more: z.boolean() }), ...S.errors(401) } },
      handler: async (req) => ({ data: (await links.listLinks(req.user!.id)).map((l) => presentLink(l, links.coolingOffUntil(l))), has_more: false }),
    });
    app.get('/v1/bank-links/:id', {
      preValidation: auth.requireUser,
      schema: { tags: ['bank links'], summary: 'A bank link', params: z.object({ id: z.string() }), response: { 200: S.BankLink, ...S.errors(401, 404) } },
      handler: async (req) => {
        const l = await links.getLink(req.user!.id, req.params.id);
        return presentLink(l, links.coolingOffUntil(l));
      },
    });
    app.delete('/v1/bank-links/:id', {
      preValidation: auth.requireUser,
      schema: { tags: ['bank links'], summary: 'Unlink a bank account', params: z.object({ id: z.string() }), response: { 200: S.BankLink, ...S.errors(401, 404) } },
      handler: async (req) => presentLink(await links.unlink(req.user!.id, req.params.id), null),
    });
  };
}
