import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Operator, Role } from '../ops/index.ts';
import { AppError } from '../platform/index.ts';
import type { Services } from '../services.ts';

declare module 'fastify' {
  interface FastifyRequest {
    operator?: Operator;
    operatorToken?: string;
  }
}

/**
 * Operator routes take operator sessions only (`ops_…` tokens): a user session or merchant key there is 403,
 * a missing or dead token 401, a role not in the route's list 403 `operator_forbidden`.
 */
export function requireOperator(s: Services, ...roles: Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw new AppError('unauthorized', 'send Authorization: Bearer <operator session token>');
    if (!token.startsWith('ops_')) throw new AppError('forbidden', 'this route needs an operator session');
    const operator = await s.ops.authenticate(token);
    if (!operator) throw new AppError('unauthorized', 'the operator session is unknown, expired or revoked');
    if (roles.length > 0 && !roles.includes(operator.role)) throw new AppError('operator_forbidden', `this action needs one of the roles: ${roles.join(', ')}`, { role: operator.role });
    req.operator = operator;
    req.operatorToken = token;
  };
}
