import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import { isUniqueViolation } from '../db/index.ts';
import { AppError, type Clock } from '../platform/index.ts';
import { type SessionHolder, assertMayAddFactor } from './step-up.ts';

const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export interface RelyingParty {
  /** The site's host name (WebAuthn refuses IP addresses): `localhost` in development. */
  id: string;
  name: string;
  /** The exact origin the browser reports, e.g. http://localhost:3000. */
  origin: string;
}

/** Passkeys (WebAuthn) through @simplewebauthn/server: registration, and assertions used as a second factor. */
export function createPasskeys(deps: { db: Kysely<DB>; clock: Clock; rp: RelyingParty }) {
  const { db, clock, rp } = deps;

  async function saveChallenge(userId: string, purpose: 'register' | 'step_up', challenge: string): Promise<void> {
    const row = { challenge, expires_at: new Date(clock.now().getTime() + CHALLENGE_TTL_MS) };
    await db
      .insertInto('webauthn_challenges')
      .values({ user_id: userId, purpose, ...row })
      .onConflict((oc) => oc.columns(['user_id', 'purpose']).doUpdateSet(row))
      .execute();
  }

  /** A challenge is used once: taking it deletes it, so a replayed response finds none. */
  async function takeChallenge(userId: string, purpose: 'register' | 'step_up'): Promise<string | undefined> {
    const row = await db
      .deleteFrom('webauthn_challenges')
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .returning(['challenge', 'expires_at'])
      .executeTakeFirst();
    return row && new Date(row.expires_at) > clock.now() ? row.challenge : undefined;
  }

  /** The registration challenge is the only way to a new passkey, so the check for adding a factor sits here. */
  async function registrationOptions(
    user: SessionHolder & { email: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    assertMayAddFactor(user, clock.now());
    const existing = await db
      .selectFrom('passkeys')
      .select(['id', 'transports'])
      .where('user_id', '=', user.id)
      .execute();
    const options = await generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: user.email,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: JSON.parse(c.transports) as string[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await saveChallenge(user.id, 'register', options.challenge);
    return options;
  }

  /** The step-up that got the options must still hold when the browser's answer comes back. */
  async function register(user: SessionHolder, response: RegistrationResponseJSON): Promise<{ id: string }> {
    assertMayAddFactor(user, clock.now());
    const userId = user.id;
    const expectedChallenge = await takeChallenge(userId, 'register');
    if (!expectedChallenge)
      throw new AppError('passkey_failed', 'ask for registration options first (they expire after 5 minutes)');
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
      });
    } catch (e) {
      throw new AppError(
        'passkey_failed',
        `the passkey could not be verified: ${e instanceof Error ? e.message : 'invalid response'}`,
      );
    }
    if (!verified.verified) throw new AppError('passkey_failed', 'the passkey could not be verified');
    const c = verified.registrationInfo.credential;
    try {
      await db
        .insertInto('passkeys')
        .values({
          id: c.id,
          user_id: userId,
          public_key: Buffer.from(c.publicKey).toString('base64url'),
          counter: c.counter,
          transports: JSON.stringify(c.transports ?? []),
          created_at: clock.now(),
        })
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new AppError('passkey_failed', 'this passkey is already registered');
      throw e;
    }
    return { id: c.id };
  }

  async function authenticationOptions(userId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const creds = await db.selectFrom('passkeys').select(['id', 'transports']).where('user_id', '=', userId).execute();
    if (creds.length === 0) throw new AppError('mfa_not_enrolled', 'register a passkey first');
    const options = await generateAuthenticationOptions({
      rpID: rp.id,
      allowCredentials: creds.map((c) => ({ id: c.id, transports: JSON.parse(c.transports) as never })),
      userVerification: 'preferred',
    });
    await saveChallenge(userId, 'step_up', options.challenge);
    return options;
  }

  /** True when the assertion is this user's passkey answering the pending challenge; the signature counter must move forward. */
  async function verifyAssertion(userId: string, response: AuthenticationResponseJSON): Promise<boolean> {
    const cred = await db
      .selectFrom('passkeys')
      .selectAll()
      .where('id', '=', response.id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const expectedChallenge = await takeChallenge(userId, 'step_up');
    if (!cred || !expectedChallenge) return false;
    try {
      const r = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: {
          id: cred.id,
          publicKey: new Uint8Array(Buffer.from(cred.public_key, 'base64url')),
          counter: Number(cred.counter),
          transports: JSON.parse(cred.transports) as never,
        },
      });
      if (!r.verified) return false;
      await db
        .updateTable('passkeys')
        .set({ counter: r.authenticationInfo.newCounter, last_used_at: clock.now() })
        .where('id', '=', cred.id)
        .execute();
      return true;
    } catch {
      return false;
    }
  }

  async function count(userId: string): Promise<number> {
    const r = await db
      .selectFrom('passkeys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async function list(userId: string): Promise<Array<{ id: string; createdAt: string; lastUsedAt: string | null }>> {
    const rows = await db
      .selectFrom('passkeys')
      .select(['id', 'created_at', 'last_used_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      createdAt: new Date(r.created_at).toISOString(),
      lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
    }));
  }

  /** Removes one of the user's passkeys inside the caller's transaction (which also records the security change). */
  async function remove(trx: Transaction<DB>, userId: string, id: string): Promise<void> {
    const gone = await trx
      .deleteFrom('passkeys')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .returning('id')
      .executeTakeFirst();
    if (!gone) throw new AppError('not_found', 'no such passkey');
  }

  return { registrationOptions, register, authenticationOptions, verifyAssertion, count, list, remove };
}
export type Passkeys = ReturnType<typeof createPasskeys>;
