import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findBank, listBanks, listBranches } from '../../banks/registry/index.ts';
import { AppError } from '../../platform/index.ts';
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
        querystring: z.object({ participating: z.enum(['true', 'false']).optional(), q: z.string().max(50).optional() }),
        response: { 200: z.object({ data: z.array(Bank) }), ...S.errors(400) },
      },
      handler: async (req) => {
        // Switches are read from the database on every request: an operator's change applies at once.
        const settings = new Map((await s.db.selectFrom('bank_settings').selectAll().execute()).map((r) => [r.bank_code, r]));
        let banks = listBanks(req.query.q);
        if (req.query.participating === 'true') banks = banks.filter((b) => settings.get(b.code)?.participating);
        if (req.query.participating === 'false') banks = banks.filter((b) => !settings.get(b.code)?.participating);
        return {
          data: banks.map((b) => {
            const st = settings.get(b.code);
            return { code: b.code, name: b.name, nameKana: b.nameKana, participating: st?.participating ?? false, authMethod: (st?.auth_method ?? null) as 'otp' | 'app' | 'legacy_pin' | null, linking: (st?.participating ?? false) && (st?.linking ?? false), charging: (st?.participating ?? false) && (st?.charging ?? false) };
          }),
        };
      },
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
      handler: async (req) => {
        if (!findBank(req.params.code)) throw new AppError('unknown_bank', `no bank with code ${req.params.code}`);
        return { data: (listBranches(req.params.code, req.query.q) ?? []).map((b) => ({ code: b.code, name: b.name, nameKana: b.nameKana })) };
      },
    });
  };
}
