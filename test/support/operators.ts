import type { FastifyInstance } from 'fastify';
import type { Role } from '../../src/ops/index.ts';
import { call } from './http.ts';
import { totp } from './people.ts';
import type { World } from './world.ts';

/**
 * The operator's TOTP code now (the world's clock), computed by the tests' own RFC 6238 code. Codes are good
 * once: a second sign-in of the same operator needs the clock moved to the next 30-second step.
 */
export const operatorOtp = (w: World, op: { totp: { secret: string } }): string => totp(op.totp.secret, w.clock.now());

/** Creates an operator (enrolled in TOTP, as every operator is) and signs it in over HTTP with password and code. */
export async function operatorSession(
  app: FastifyInstance,
  w: World,
  email: string,
  role: Role,
  o: { bankCode?: string; headers?: Record<string, string> } = {},
) {
  const op = await w.ops.createOperator(email, role, 'test', o.bankCode ? { bankCode: o.bankCode } : {});
  const r = await call(app, 'POST', '/v1/admin/sessions', {
    headers: o.headers ?? {},
    body: { email: op.email, password: op.password, otp: operatorOtp(w, op) },
  });
  if (r.status !== 201) throw new Error(`operator sign-in: ${r.status} ${r.body}`);
  return { ...op, token: r.json.token as string };
}
