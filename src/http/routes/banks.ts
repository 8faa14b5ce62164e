import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import * as S from '../schemas.ts';

const Bank = z.object({
  code: z.string(),
  name: z.string(),
  nameKana: z.string(),
  participating: z.boolean(),
  authMethod: z.enum(['otp', 'app', 'legacy_pin']).nullable(),
  linking: z.boolean(),
  charging: z.boolean(),
});
const Branch = z.object({ code: z.string(), name: z.string(), nameKana: z.string() });

/** The bank registry (public reference data from the Zengin code list) joined with each bank's Saifu switches. */
export function bankRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/banks', {
      schema: {
        tags: ['banks'],
        summary: 'Japanese banks (Zengin codes) and whether they take part in Saifu',
        security: [],
        querystring: z.object({
          participating: z.enum(['true', 'false']).optional(),
          q: z.string().max(50).optional(),
        }),
        response: { 200: z.object({ data: z.array(Bank) }), ...S.errors(400) },
      },
      handler: async (req) => ({
        data: await s.banks.settings.catalogue({
          ...(req.query.q ? { q: req.query.q } : {}),
          ...(req.query.participating ? { participating: req.query.participating === 'true' } : {}),
        }),
      }),
    });

    app.get('/v1/banks/:code/branches', {
      schema: {
        tags: ['banks'],
        summary: 'Branches of a bank (Zengin 3-digit codes)',
        security: [],
        params: z.object({ code: z.string().regex(/^\d{4}$/, 'a 4-digit bank code') }),
        querystring: z.object({ q: z.string().max(50).optional() }),
        response: { 200: z.object({ data: z.array(Branch) }), ...S.errors(400, 404) },
      },
      handler: async (req) => ({ data: s.banks.settings.branches(req.params.code, req.query.q) }),
    });
  };
}
