import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SecondFactor } from '../../identity/index.ts';
import type { Services } from '../../services.ts';
import { authHandlers } from '../auth.ts';
import * as S from '../schemas.ts';
import { sourceOf } from './bank-links.ts';

/** Names and addresses: surrounding spaces dropped, never blank. */
const Name = z.string().trim().min(1).max(40);
const Address = z.string().trim().min(1).max(200);
/** Kana fields accept hiragana, katakana (full or half width), the long-vowel mark, spaces and the middle dot. */
export const Kana = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[\u3041-\u3096\u30A1-\u30FA\u30FC\uFF66-\uFF9F\s・ー]+$/u, 'kana only');
/** A calendar date that exists (z.iso.date refuses 1990-02-30), not before 1900 and not after today on the platform clock. */
export const pastDate = (now: () => Date) =>
  z.iso.date().refine((d) => d >= '1900-01-01' && d <= now().toISOString().slice(0, 10), 'a real date in the past');
export const DocumentSchema = z.object({
  type: z.enum(['drivers_license', 'my_number_card', 'passport', 'residence_card']),
  number: z.string().regex(/^[0-9A-Z]{6,20}$/, '6–20 digits or capital letters'),
});
/** A WebAuthn response as the browser's JSON serialisation gives it (checked in depth by @simplewebauthn/server). */
const WebAuthnResponse = z.looseObject({
  id: z.string().min(1).max(1024),
  rawId: z.string().min(1).max(1024),
  type: z.literal('public-key'),
  response: z.looseObject({}),
  clientExtensionResults: z.looseObject({}).optional(),
});
export const Factor = z.union([
  z.object({ otp: z.string().regex(/^\d{6}$/) }).strict(),
  z.object({ smsCode: z.string().regex(/^\d{6}$/) }).strict(),
  z.object({ passkey: WebAuthnResponse }).strict(),
]);

/** What every change to how the account is protected needs (docs/api.md). */
export const STEP_UP_RULE =
  'Needs a step-up in the last 5 minutes (403 step_up_required otherwise): with TOTP or a passkey when the user has one, or, for a user with neither, with the SMS code sent to the confirmed phone. A password alone is never enough. The user is told by SMS and email.';
export const HOLD_RULE =
  'Puts the account on a 24-hour security hold (securityHoldUntil): transfers and withdrawals wait.';

/** Guessable codes are rate limited per client address and device. */
const codeLimit = { max: 10, timeWindow: '1 minute' };

export function identityRoutes(s: Services): FastifyPluginAsyncZod {
  const auth = authHandlers(s);
  const PastDate = pastDate(() => s.clock.now());
  return async (app) => {
    app.post('/v1/me/mfa/totp', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['users'],
        summary: 'Start TOTP enrolment: a secret for the authenticator app',
        description: STEP_UP_RULE,
        response: { 200: z.object({ secret: z.string(), otpauthUrl: z.string() }), ...S.errors(401, 403, 409) },
      },
      handler: async (req) => s.security.beginTotp(req.user!),
    });

    app.post('/v1/me/mfa/totp/confirm', {
      preValidation: auth.requireUser,
      config: { rateLimit: codeLimit },
      schema: {
        tags: ['users'],
        summary: 'Confirm TOTP enrolment with a first code',
        description: `${STEP_UP_RULE} The step-up must still hold here.`,
        body: z.object({ otp: z.string().regex(/^\d{6}$/) }),
        response: { 200: z.object({ mfa: z.object({ totp: z.boolean() }) }), ...S.errors(400, 401, 403, 409, 429) },
      },
      handler: async (req) => {
        await s.security.confirmTotp(req.user!, req.body.otp);
        return { mfa: { totp: true } };
      },
    });

    app.delete('/v1/me/mfa/totp', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['users'],
        summary: 'Remove the authenticator app (TOTP)',
        description: `${STEP_UP_RULE} ${HOLD_RULE}`,
        response: { 204: z.null(), ...S.errors(401, 403, 409) },
      },
      handler: async (req, reply) => {
        await s.security.removeTotp(req.user!);
        return reply.code(204).send(null);
      },
    });

    app.post('/v1/me/passkeys/registration-options', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['users'],
        summary: 'WebAuthn options to create a passkey (navigator.credentials.create)',
        description: STEP_UP_RULE,
        response: { 200: z.looseObject({ challenge: z.string() }), ...S.errors(401, 403) },
      },
      handler: async (req) =>
        (await s.security.passkeyRegistrationOptions(req.user!)) as unknown as { challenge: string },
    });

    app.post('/v1/me/passkeys', {
      preValidation: auth.requireUser,
      config: { rateLimit: codeLimit },
      schema: {
        tags: ['users'],
        summary: 'Register the passkey the browser created (RegistrationResponseJSON)',
        description: `${STEP_UP_RULE} The step-up must still hold here.`,
        body: WebAuthnResponse,
        response: { 201: z.object({ id: z.string() }), ...S.errors(400, 401, 403) },
      },
      handler: async (req, reply) =>
        reply.code(201).send(await s.security.registerPasskey(req.user!, req.body as never)),
    });

    app.get('/v1/me/passkeys', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['users'],
        summary: "The user's passkeys",
        response: {
          200: z.object({
            data: z.array(z.object({ id: z.string(), createdAt: S.Timestamp, lastUsedAt: S.Timestamp.nullable() })),
          }),
          ...S.errors(401),
        },
      },
      handler: async (req) => ({ data: await s.security.listPasskeys(req.user!.id) }),
    });

    app.delete('/v1/me/passkeys/:id', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['users'],
        summary: 'Remove a passkey',
        description: `${STEP_UP_RULE} ${HOLD_RULE}`,
        params: z.object({ id: z.string().min(1).max(1024) }),
        response: { 204: z.null(), ...S.errors(401, 403, 404) },
      },
      handler: async (req, reply) => {
        await s.security.removePasskey(req.user!, req.params.id);
        return reply.code(204).send(null);
      },
    });

    app.post('/v1/sessions/current/step-up/passkey-options', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['users'],
        summary: 'WebAuthn options to step up with a passkey (navigator.credentials.get)',
        response: { 200: z.looseObject({ challenge: z.string() }), ...S.errors(401, 409) },
      },
      handler: async (req) =>
        (await s.passkeys.authenticationOptions(req.user!.id)) as unknown as { challenge: string },
    });

    app.post('/v1/sessions/current/step-up/sms', {
      preValidation: auth.requireUser,
      config: { rateLimit: { max: 5, timeWindow: '1 minute' } },
      schema: {
        tags: ['users'],
        summary: 'Send a step-up code by SMS to the confirmed phone',
        response: { 200: z.object({ sent: z.boolean() }), ...S.errors(401, 403, 429) },
      },
      handler: async (req) => {
        await s.mfa.sendStepUpSms(req.user!, req.user!.session.id);
        return { sent: true };
      },
    });

    app.post('/v1/sessions/current/step-up', {
      preValidation: auth.requireUser,
      config: { rateLimit: codeLimit },
      schema: {
        tags: ['users'],
        summary: 'Step up: a fresh second factor lets this session do sensitive actions for 5 minutes',
        description:
          'Send `{otp}` (TOTP), `{smsCode}` (after POST /v1/sessions/current/step-up/sms) or `{passkey}` (the assertion, after POST /v1/sessions/current/step-up/passkey-options). Codes and challenges are single-use.',
        body: Factor,
        response: { 200: z.object({ elevatedUntil: S.Timestamp }), ...S.errors(400, 401, 429) },
      },
      handler: async (req) => s.security.stepUp(req.user!, req.body as SecondFactor),
    });

    app.post('/v1/identity-verifications', {
      preValidation: auth.requireUser,
      config: { rateLimit: { max: 5, timeWindow: '1 minute' } },
      schema: {
        tags: ['users'],
        summary: 'Verify identity (eKYC): names, kana, birth date, address, ID document and a selfie',
        body: z.object({
          familyName: Name,
          givenName: Name,
          familyNameKana: Kana,
          givenNameKana: Kana,
          birthDate: PastDate,
          address: Address,
          document: DocumentSchema,
          selfie: z.string().min(1).max(200),
        }),
        description:
          'Rejection reasons: document_not_found, document_forged, name_mismatch, kana_mismatch, birth_date_mismatch, address_mismatch, selfie_mismatch. Kana may be hiragana or katakana, with or without spaces. At most 5 submissions per user a day (429).',
        response: {
          201: z.object({ id: z.string(), status: z.enum(['verified', 'rejected']), reasons: z.array(z.string()) }),
          ...S.errors(400, 401, 403, 409, 422, 429),
        },
      },
      handler: async (req, reply) => reply.code(201).send(await s.ekyc.submit(req.user!, req.body, sourceOf(req))),
    });
  };
}

/** POST /sandbox/identities: registered with the other sandbox routes only when the sandbox is on. */
export function sandboxIdentityRoutes(s: Services): FastifyPluginAsyncZod {
  const PastDate = pastDate(() => s.clock.now());
  return async (app) => {
    app.post('/sandbox/identities', {
      schema: {
        tags: ['sandbox'],
        summary: 'Add a person to the sandbox identity registry; returns the selfie token that passes the face check',
        body: z.object({
          familyName: Name,
          givenName: Name,
          familyNameKana: Kana,
          givenNameKana: Kana,
          birthDate: PastDate,
          address: Address,
          document: DocumentSchema,
          forged: z
            .boolean()
            .optional()
            .describe('register a counterfeit: verifications with it are rejected with document_forged'),
        }),
        response: {
          201: z.object({ id: z.string(), document: DocumentSchema, selfie: z.string() }),
          ...S.errors(400, 409),
        },
      },
      handler: async (req, reply) => reply.code(201).send(await s.sandbox.identity.register(req.body)),
    });
  };
}
