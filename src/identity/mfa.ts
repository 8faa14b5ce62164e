import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Notifier } from '../notify/index.ts';
import { AppError, type Clock } from '../platform/index.ts';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Passkeys } from './passkeys.ts';
import type { SecretBox } from './secret-box.ts';
import { createAttemptCounter, smsSendBudget } from '../attempts/index.ts';
import { assertMay } from './guard.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { ELEVATION_MS, type SessionHolder, assertMayAddFactor } from './step-up.ts';
import { checkTotp, newTotpSecret, totpUri } from './totp.ts';
import { sha256 } from './tokens.ts';

export { ELEVATION_MS };
const SMS_CODE_TTL_MS = 5 * 60 * 1000;
const SMS_CODE_ATTEMPTS = 5;

export type SecondFactor = { otp: string } | { smsCode: string } | { passkey: AuthenticationResponseJSON };

/** TOTP enrolment, second-factor checks and step-up (a session elevated for 5 minutes). */
export function createMfa(deps: {
  db: Kysely<DB>;
  clock: Clock;
  box: SecretBox;
  notifier: Notifier;
  passkeys?: Passkeys;
  onUserChanged?: (userId: string) => void;
}) {
  const { db, clock } = deps;
  // Per user, across addresses and devices: five wrong second factors in a row lock step-up for a while. This
  // also stops asking for a new SMS code after each wrong guess from giving five more tries each time.
  const throttle = createLoginThrottle({ db, clock, scope: 'step-up' });
  const sends = createAttemptCounter({ db, clock });

  async function beginTotp(holder: SessionHolder): Promise<{ secret: string; otpauthUrl: string }> {
    assertMayAddFactor(holder, clock.now());
    const userId = holder.id;
    const user = await db
      .selectFrom('users')
      .select(['email', 'totp_secret'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    if (user.totp_secret) throw new AppError('invalid_state', 'TOTP is already enrolled');
    const secret = newTotpSecret();
    await db
      .updateTable('users')
      .set({ totp_pending_secret: deps.box.seal(secret) })
      .where('id', '=', userId)
      .execute();
    return { secret, otpauthUrl: totpUri(secret, user.email) };
  }

  async function confirmTotp(userId: string, otp: string): Promise<void> {
    const user = await db
      .selectFrom('users')
      .select(['totp_pending_secret'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    if (!user.totp_pending_secret) throw new AppError('mfa_not_enrolled', 'start TOTP enrolment first');
    const step = await checkTotp(deps.box.open(user.totp_pending_secret), otp, clock.now(), null);
    if (step === null) throw new AppError('invalid_otp', 'the code is not correct');
    await db
      .updateTable('users')
      .set({ totp_secret: user.totp_pending_secret, totp_pending_secret: null, totp_last_step: step })
      .where('id', '=', userId)
      .execute();
  }

  async function hasTotp(userId: string): Promise<boolean> {
    const u = await db.selectFrom('users').select('totp_secret').where('id', '=', userId).executeTakeFirst();
    return Boolean(u?.totp_secret);
  }

  /** A TOTP code, good once: the accepted time step is stored with a guard so two racing uses cannot both pass. */
  async function useTotp(userId: string, otp: string): Promise<boolean> {
    const u = await db
      .selectFrom('users')
      .select(['totp_secret', 'totp_last_step'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!u?.totp_secret) return false;
    const step = await checkTotp(deps.box.open(u.totp_secret), otp, clock.now(), u.totp_last_step);
    if (step === null) return false;
    const q = db.updateTable('users').set({ totp_last_step: step }).where('id', '=', userId);
    const done = await (u.totp_last_step === null
      ? q.where('totp_last_step', 'is', null)
      : q.where('totp_last_step', '=', u.totp_last_step)
    )
      .returning('id')
      .executeTakeFirst();
    return done !== undefined;
  }

  /** At most 5 codes an hour to one phone: re-sending is not a way around the guess limit, nor an SMS cannon. */
  async function sendStepUpSms(user: { phone: string; phoneConfirmed: boolean }, sessionId: string): Promise<void> {
    assertMay(user, { phoneConfirmed: true }, 'receive codes by SMS');
    const phone = user.phone;
    await sends.consume(smsSendBudget(phone));
    const code = String(randomInt(1_000_000)).padStart(6, '0');
    const row = {
      code_hash: sha256(`${sessionId}:${code}`),
      attempts: 0,
      expires_at: new Date(clock.now().getTime() + SMS_CODE_TTL_MS),
    };
    await db
      .insertInto('step_up_codes')
      .values({ session_id: sessionId, ...row })
      .onConflict((oc) => oc.column('session_id').doUpdateSet(row))
      .execute();
    await deps.notifier.send({
      to: phone,
      channel: 'sms',
      code,
      body: `Saifu: your confirmation code is ${code} (5 minutes). Never share it; Saifu will not ask for it by phone.`,
    });
  }

  /**
   * One guess at the session's SMS code. The guess is counted on the code's row by a conditional UPDATE before
   * the comparison (at most 5 per code however many arrive together), and the code is deleted when used.
   */
  async function useSmsCode(sessionId: string, code: string): Promise<boolean> {
    const row = await db
      .updateTable('step_up_codes')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('session_id', '=', sessionId)
      .where('attempts', '<', SMS_CODE_ATTEMPTS)
      .where('expires_at', '>', clock.now())
      .returning('code_hash')
      .executeTakeFirst();
    if (!row) return false;
    const ok = timingSafeEqual(Buffer.from(row.code_hash), Buffer.from(sha256(`${sessionId}:${code}`)));
    if (!ok) return false;
    const used = await db
      .deleteFrom('step_up_codes')
      .where('session_id', '=', sessionId)
      .where('code_hash', '=', row.code_hash)
      .returning('session_id')
      .executeTakeFirst();
    return used !== undefined;
  }

  /** Checks a second factor and elevates the session for 5 minutes. */
  async function stepUp(
    user: { id: string },
    sessionId: string,
    factor: SecondFactor,
  ): Promise<{ elevatedUntil: string }> {
    const attempt = await throttle.beginAttempt(user.id);
    const ok =
      'otp' in factor
        ? await useTotp(user.id, factor.otp)
        : 'smsCode' in factor
          ? await useSmsCode(sessionId, factor.smsCode)
          : deps.passkeys !== undefined && (await deps.passkeys.verifyAssertion(user.id, factor.passkey));
    if (!ok) {
      await attempt.failed();
      throw new AppError(
        'passkey' in factor ? 'passkey_failed' : 'invalid_otp',
        'passkey' in factor
          ? 'the passkey assertion could not be verified'
          : 'the code is not correct, expired or already used',
      );
    }
    await attempt.succeeded();
    const until = new Date(clock.now().getTime() + ELEVATION_MS);
    await db.updateTable('sessions').set({ elevated_until: until }).where('id', '=', sessionId).execute();
    deps.onUserChanged?.(user.id);
    return { elevatedUntil: until.toISOString() };
  }

  return { beginTotp, confirmTotp, hasTotp, useTotp, sendStepUpSms, stepUp };
}
export type Mfa = ReturnType<typeof createMfa>;
