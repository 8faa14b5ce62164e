import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionUser } from '../identity/index.ts';
import { AppError } from '../platform/index.ts';
import type { Services } from '../services.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user?: SessionUser;
    sessionToken?: string;
    merchant?: { id: string; name: string };
  }
}

const bearer = (req: FastifyRequest): string | undefined => {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
};

/** preHandlers that resolve the caller. A missing or bad credential is 401; a merchant key on a user route is 403. */
export function authHandlers(s: Services) {
  async function requireUser(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearer(req);
    if (!token) throw new AppError('unauthorized', 'send Authorization: Bearer <session token>');
    if (token.startsWith('sk_')) throw new AppError('forbidden', 'this route needs a user session, not a merchant key');
    const user = await s.identity.authenticate(token);
    if (!user) throw new AppError('unauthorized', 'the session is unknown, expired or revoked');
    req.user = user;
    req.sessionToken = token;
  }

  async function requireMerchant(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearer(req);
    if (!token) throw new AppError('unauthorized', 'send Authorization: Bearer <merchant API key>');
    if (!token.startsWith('sk_')) throw new AppError('forbidden', 'this route needs a merchant API key');
    // The current key, or a rotated-out one during its grace period (src/merchants).
    const merchant = await s.merchants.authenticate(token);
    if (!merchant) throw new AppError('unauthorized', 'the API key is not valid');
    req.merchant = { id: merchant.id, name: merchant.name };
  }

  /** Either a user session or a merchant key. */
  async function requireUserOrMerchant(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = bearer(req);
    if (token?.startsWith('sk_')) return requireMerchant(req, reply);
    return requireUser(req, reply);
  }

  return { requireUser, requireMerchant, requireUserOrMerchant };
}
