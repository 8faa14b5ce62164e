import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/index.ts';
import type { Services } from '../../services.ts';
import { authHandlers } from '../auth.ts';
import * as S from '../schemas.ts';
import { sourceOf } from './bank-links.ts';
import { HOLD_RULE, STEP_UP_RULE } from './identity.ts';

/** Guessable secrets (passwords, SMS codes) are rate limited per client address and device. */
const secretLimit = { max: 10, timeWindow: '1 minute' };
/**
 * Sign-up tells whether an email or phone is in use (it must refuse duplicates), so it is limited per client
 * address alone: the device id is the client's to choose. Ten an hour lets a household or a shared (NAT)
 * address through and keeps probing slow.
 */
const signupLimit = { max: 10, timeWindow: '1 hour', keyGenerator: (req: { ip: string }) => req.ip };

/** The user after a security change: the hold it started shows. */
const UserWithHold = S.User.extend({ securityHoldUntil: S.Timestamp.nullable() });

export function userRoutes(s: Services): FastifyPluginAsyncZod {
  const auth = authHandlers(s);
  return async (app) => {
    app.post('/v1/signup', {
      config: { rateLimit: signupLimit },
      schema: {
        tags: ['users'],
        summary: 'Create a wallet user; an SMS code is sent to confirm the phone',
        description:
          'An email or phone number already in use answers 409 signup_conflict, naming neither field (the owner is told by email or SMS). At most 10 sign-ups per client address an hour.',
        body: z.object({
          email: z.email().max(254),
          phone: z.string().min(10).max(20),
          password: z.string().min(10).max(200),
        }),
        response: { 201: z.object({ user: S.User, token: z.string() }), ...S.errors(400, 409, 422, 429) },
      },
      handler: async (req, reply) => reply.code(201).send(await s.identity.signup(req.body, sourceOf(req))),
    });

    app.post('/v1/me/phone/confirm', {
      preValidation: auth.requireUser,
      config: { rateLimit: secretLimit },
      schema: {
        tags: ['users'],
        summary: 'Confirm the phone with the SMS code',
        body: z.object({ code: z.string().regex(/^\d{6}$/) }),
        response: { 200: z.object({ user: S.User }), ...S.errors(400, 401, 429) },
      },
      handler: async (req) => ({ user: await s.identity.confirmPhone(req.user!.id, req.body.code) }),
    });

    app.post('/v1/sessions', {
      config: { rateLimit: secretLimit },
      schema: {
        tags: ['users'],
        summary: 'Sign in',
        body: z.object({ email: z.string().max(254), password: z.string().max(200), otp: z.string().optional() }),
        response: { 201: z.object({ token: z.string(), user: S.User }), ...S.errors(400, 401, 422, 429) },
      },
      handler: async (req, reply) => {
        const { token, user } = await s.identity.login(req.body.email, req.body.password, req.body.otp, sourceOf(req));
        return reply.code(201).send({ token, user });
      },
    });

    app.delete('/v1/sessions/current', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['users'],
        summary: 'Sign out (revokes the token)',
        response: { 204: z.null(), ...S.errors(401) },
      },
      handler: async (req, reply) => {
        if (!req.sessionToken) throw new AppError('unauthorized', 'not signed in');
        await s.identity.revokeSession(req.sessionToken);
        return reply.code(204).send(null);
      },
    });

    app.post('/v1/me/password', {
      preValidation: auth.requireUser,
      config: { rateLimit: secretLimit },
      schema: {
        tags: ['users'],
        summary: 'Change the password (the current one too is needed); other sessions are signed out',
        description: `${STEP_UP_RULE} ${HOLD_RULE} A wrong current password is 401 invalid_credentials (5 in 15 minutes, then 429).`,
        body: z.object({ currentPassword: z.string().max(200), newPassword: z.string().min(10).max(200) }),
        response: { 200: z.object({ user: UserWithHold }), ...S.errors(400, 401, 403, 422, 429) },
      },
      handler: async (req) => {
        await s.security.changePassword(req.user!, req.body.currentPassword, req.body.newPassword, sourceOf(req));
        return { user: await s.identity.getUser(req.user!.id) };
      },
    });

    app.post('/v1/me/email', {
      preValidation: auth.requireUser,
      config: { rateLimit: secretLimit },
      schema: {
        tags: ['users'],
        summary: 'Change the email address (old and new addresses are told)',
        description: `${STEP_UP_RULE} ${HOLD_RULE} An address in use elsewhere is 409 contact_unavailable, as sign-up answers.`,
        body: z.object({ email: z.email().max(254) }),
        response: { 200: z.object({ user: UserWithHold }), ...S.errors(400, 401, 403, 409, 422, 429) },
      },
      handler: async (req) => {
        await s.security.changeEmail(req.user!, req.body.email);
        return { user: await s.identity.getUser(req.user!.id) };
      },
    });

    app.post('/v1/me/phone', {
      preValidation: auth.requireUser,
      config: { rateLimit: secretLimit },
      schema: {
        tags: ['users'],
        summary:
          'Change the phone number: it starts unconfirmed and an SMS code is sent to it (POST /v1/me/phone/confirm)',
        description: `${STEP_UP_RULE} ${HOLD_RULE} Old and new numbers are told. No money moves until the new number is confirmed. A number in use elsewhere is 409 contact_unavailable.`,
        body: z.object({ phone: z.string().min(10).max(20) }),
        response: { 200: z.object({ user: UserWithHold }), ...S.errors(400, 401, 403, 409, 422, 429) },
      },
      handler: async (req) => {
        await s.security.changePhone(req.user!, req.body.phone, sourceOf(req));
        return { user: await s.identity.getUser(req.user!.id) };
      },
    });

    app.get('/v1/me', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['users'],
        summary: 'The signed-in user',
        response: {
          200: S.User.extend({ mfa: z.object({ totp: z.boolean(), passkeys: z.number().int() }) }),
          ...S.errors(401),
        },
      },
      handler: async (req) => {
        const { session: _session, ...user } = req.user!;
        return { ...user, mfa: { totp: await s.mfa.hasTotp(user.id), passkeys: await s.passkeys.count(user.id) } };
      },
    });
  };
}
