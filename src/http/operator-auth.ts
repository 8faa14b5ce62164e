import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type Operator, type Role, STAFF_ROLES } from '../ops/index.ts';
import { AppError } from '../platform/index.ts';
import type { Services } from '../services.ts';

declare module 'fastify' {
  interface FastifyRequest {
    operator?: Operator;
    operatorToken?: string;
  }
}

const bearer = (req: FastifyRequest): string | undefined =>
  /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];

/** The hooks made by requireOperator, so the admin routes can prove at start-up that each one has one. */
const operatorGuards = new WeakSet<object>();

/**
 * preValidation for /v1/admin routes. Only operator sessions (`ops_…`) pass: a working user session or merchant
 * key is the wrong kind of credential (403 `forbidden`); a missing, unknown, expired or revoked token is 401
 * `unauthorized`; an operator whose role is not in `roles` gets 403 `operator_forbidden`. No roles = any of
 * Saifu's staff (STAFF_ROLES): a bank's staff (`bank`) pass only routes that name the role, which must then scope
 * what they return to the operator's bank (ops' bankScopeOf / assertBankAccess).
 */
export function requireOperator(s: Services, ...named: Role[]) {
  const roles: readonly Role[] = named.length > 0 ? named : STAFF_ROLES;
  const guard = async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearer(req);
    if (!token) throw new AppError('unauthorized', 'send Authorization: Bearer <operator session token (ops_…)>');
    if (!token.startsWith('ops_')) {
      // Looked up only to choose between 401 and 403; the credential is never accepted here.
      const known = token.startsWith('sk_')
        ? await s.wallet.payments.authenticateMerchant(token)
        : await s.identity.authenticate(token);
      if (known)
        throw new AppError('forbidden', 'this route needs an operator session, not a user session or merchant key');
      throw new AppError('unauthorized', 'the token is not a valid operator session');
    }
    const operator = await s.ops.authenticate(token);
    if (!operator) throw new AppError('unauthorized', 'the operator session is unknown, expired or revoked');
    if (!roles.includes(operator.role))
      throw new AppError('operator_forbidden', `this action needs one of the roles: ${roles.join(', ')}`, {
        role: operator.role,
        allowed: roles,
      });
    req.operator = operator;
    req.operatorToken = token;
  };
  operatorGuards.add(guard);
  return guard;
}

/** True when a route's preValidation includes a requireOperator hook. */
export function hasOperatorGuard(route: Pick<RouteOptions, 'preValidation'>): boolean {
  const hooks =
    route.preValidation === undefined
      ? []
      : Array.isArray(route.preValidation)
        ? route.preValidation
        : [route.preValidation];
  return hooks.some((h) => operatorGuards.has(h));
}
