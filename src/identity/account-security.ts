import { hash, verify } from '@node-rs/argon2';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Kysely, Transaction } from 'kysely';
import { createAttemptCounter, counterKey } from '../attempts/index.ts';
import { type DB, inTransaction } from '../db/index.ts';
import { isUniqueViolation } from '../db/index.ts';
import { type Notifier, isJapanesePhone, normalizePhone } from '../notify/index.ts';
import { AppError, type Clock } from '../platform/index.ts';
import type { Mfa, SecondFactor } from './mfa.ts';
import type { Passkeys } from './passkeys.ts';
import {
  type IdentityEventType,
  type IdentityRisk,
  type RequestSource,
  type ScoredEvent,
  hoursSince,
  identityEvent,
  recordScoredEvent,
  scoreIdentityEvent,
} from './risk.ts';
import type { Identity } from './service.ts';
import { type SessionHolder, assertMayChangeSecurity } from './step-up.ts';

/** After a factor, the phone, the email or the password changes, outgoing transfers and withdrawals wait this long. */
export const SECURITY_HOLD_MS = 24 * 60 * 60 * 1000;
/** Guesses at the current password when changing it, per user (the session is already stepped up). */
const PASSWORD_CHANGE_BUDGET = { max: 5, windowMs: 15 * 60 * 1000, onSuccess: 'reset' as const };

export type SecurityChange =
  | 'totp_added'
  | 'totp_removed'
  | 'passkey_added'
  | 'passkey_removed'
  | 'password_changed'
  | 'email_changed'
  | 'phone_changed';

const TOLD: Record<SecurityChange, string> = {
  totp_added: 'an authenticator app was added to your Saifu account',
  totp_removed: 'the authenticator app was removed from your Saifu account',
  passkey_added: 'a passkey was added to your Saifu account',
  passkey_removed: 'a passkey was removed from your Saifu account',
  password_changed: 'the password of your Saifu account was changed and its other sessions were signed out',
  email_changed: 'the email address of your Saifu account was changed',
  phone_changed: 'the phone number of your Saifu account was changed',
};

/** A session's holder as routes see it: the step-up state is the session's. */
export type Holder = SessionHolder & { session: { id: string; elevatedUntil: string | null } };

export interface AccountSecurityDeps {
  db: Kysely<DB>;
  clock: Clock;
  notifier: Notifier;
  mfa: Pick<Mfa, 'beginTotp' | 'confirmTotp' | 'hasTotp' | 'stepUp'>;
  passkeys: Passkeys;
  identity: Pick<Identity, 'sendPhoneCode' | 'forgetUser'>;
  /**
   * The risk engine: password and phone changes are scored (and so stamped for rules such as account takeover,
   * "changed within 72 h") before they apply; absent = no scoring.
   */
  risk?: IdentityRisk;
}

/**
 * Changes to how an account is protected: second factors, password, email and phone. Each needs a fresh step-up
 * with a factor the user has (for the first factor, the SMS code to the confirmed phone); each tells the user on
 * every channel (old and new address for a contact change); each except enrolling the first factor puts the
 * account on a 24-hour security hold, so a thief who got through cannot move money before the owner hears.
 */
export function createAccountSecurity(deps: AccountSecurityDeps) {
  const { db, clock } = deps;
  const counter = createAttemptCounter({ db, clock });

  async function factorsOf(userId: string): Promise<{ totp: boolean; passkeys: number }> {
    return { totp: await deps.mfa.hasTotp(userId), passkeys: await deps.passkeys.count(userId) };
  }

  /** Throws 403 step_up_required unless the session may change security now; returns the factors the user had. */
  async function assertMayChange(holder: Holder): Promise<{ totp: boolean; passkeys: number }> {
    const factors = await factorsOf(holder.id);
    const row = await db
      .selectFrom('factor_step_ups')
      .select('until')
      .where('session_id', '=', holder.session.id)
      .executeTakeFirst();
    assertMayChangeSecurity(holder, factors, row ? new Date(row.until) : null, clock.now());
    return factors;
  }

  /** Step-up, noting when it was done with TOTP or a passkey: only that kind lets a user who has one change security. */
  async function stepUp(holder: Holder, factor: SecondFactor): Promise<{ elevatedUntil: string }> {
    const r = await deps.mfa.stepUp(holder, holder.session.id, factor);
    if (!('smsCode' in factor)) {
      const row = {
        factor: 'otp' in factor ? ('totp' as const) : ('passkey' as const),
        until: new Date(r.elevatedUntil),
      };
      await db
        .insertInto('factor_step_ups')
        .values({ session_id: holder.session.id, ...row })
        .onConflict((oc) => oc.column('session_id').doUpdateSet(row))
        .execute();
    }
    return r;
  }

  /** Scores a security change of this user before it applies (422 risk_denied on deny, nothing changed). */
  async function scoreChange(
    type: IdentityEventType,
    userId: string,
    source: RequestSource | undefined,
  ): Promise<ScoredEvent | undefined> {
    if (!deps.risk) return undefined;
    const u = await db
      .selectFrom('users')
      .select(['id', 'email', 'phone', 'verification', 'created_at'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return scoreIdentityEvent(
      deps.risk,
      db,
      identityEvent(type, u, source),
      { accountAgeHours: hoursSince(u.created_at, clock.now()), verification: u.verification },
      userId,
    );
  }

  /** Applies a change and (unless it is the first factor) the hold in one transaction, then tells the user everywhere. */
  async function apply(
    userId: string,
    what: SecurityChange,
    o: {
      hold: boolean;
      change?: (trx: Transaction<DB>) => Promise<void>;
      alsoTell?: { email?: string; phone?: string };
    },
  ): Promise<void> {
    const holdUntil = new Date(clock.now().getTime() + SECURITY_HOLD_MS);
    await inTransaction(db, async (trx) => {
      await o.change?.(trx);
      if (o.hold)
        await trx.updateTable('users').set({ security_hold_until: holdUntil }).where('id', '=', userId).execute();
    });
    deps.identity.forgetUser(userId);
    const u = await db
      .selectFrom('users')
      .select(['email', 'phone'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    const body = `Saifu: ${TOLD[what]}.${o.hold ? ' For your protection, transfers and withdrawals are paused for 24 hours.' : ''} If this was not you, contact Saifu support at once.`;
    for (const to of new Set([u.email, o.alsoTell?.email].filter((e): e is string => Boolean(e))))
      await deps.notifier.send({ to, channel: 'email', body });
    for (const to of new Set([u.phone, o.alsoTell?.phone].filter((p): p is string => Boolean(p))))
      await deps.notifier.send({ to, channel: 'sms', body });
  }

  const hadFactor = (f: { totp: boolean; passkeys: number }) => f.totp || f.passkeys > 0;

  async function beginTotp(holder: Holder): Promise<{ secret: string; otpauthUrl: string }> {
    await assertMayChange(holder);
    return deps.mfa.beginTotp(holder);
  }

  /** The step-up must still hold when the first code comes back, not only when enrolment began. */
  async function confirmTotp(holder: Holder, otp: string): Promise<void> {
    const before = await assertMayChange(holder);
    await deps.mfa.confirmTotp(holder.id, otp);
    await apply(holder.id, 'totp_added', { hold: hadFactor(before) });
  }

  async function removeTotp(holder: Holder): Promise<void> {
    await assertMayChange(holder);
    await apply(holder.id, 'totp_removed', {
      hold: true,
      change: async (trx) => {
        const done = await trx
          .updateTable('users')
          .set({ totp_secret: null, totp_pending_secret: null, totp_last_step: null })
          .where('id', '=', holder.id)
          .where('totp_secret', 'is not', null)
          .returning('id')
          .executeTakeFirst();
        if (!done) throw new AppError('mfa_not_enrolled', 'no authenticator app is enrolled');
      },
    });
  }

  async function passkeyRegistrationOptions(
    holder: Holder & { email: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await assertMayChange(holder);
    return deps.passkeys.registrationOptions(holder);
  }

  async function registerPasskey(holder: Holder, response: RegistrationResponseJSON): Promise<{ id: string }> {
    const before = await assertMayChange(holder);
    const r = await deps.passkeys.register(holder, response);
    await apply(holder.id, 'passkey_added', { hold: hadFactor(before) });
    return r;
  }

  async function removePasskey(holder: Holder, id: string): Promise<void> {
    await assertMayChange(holder);
    await apply(holder.id, 'passkey_removed', {
      hold: true,
      change: (trx) => deps.passkeys.remove(trx, holder.id, id),
    });
  }

  /** Needs the current password too (counted: 5 wrong in 15 minutes lock it); the user's other sessions end. */
  async function changePassword(
    holder: Holder,
    currentPassword: string,
    newPassword: string,
    source?: RequestSource,
  ): Promise<void> {
    await assertMayChange(holder);
    const ticket = await counter.consume({ key: counterKey('password-change', holder.id), ...PASSWORD_CHANGE_BUDGET });
    const row = await db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', holder.id)
      .executeTakeFirstOrThrow();
    if (!(await verify(row.password_hash, currentPassword))) {
      await ticket.failed();
      throw new AppError('invalid_credentials', 'the current password is not correct', {
        attemptsLeft: ticket.remaining,
      });
    }
    await ticket.succeeded();
    const scored = await scoreChange('password_change', holder.id, source);
    const passwordHash = await hash(newPassword);
    await apply(holder.id, 'password_changed', {
      hold: true,
      change: async (trx) => {
        await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', holder.id).execute();
        await recordScoredEvent(deps.risk, trx, scored, holder.id);
        await trx
          .updateTable('sessions')
          .set({ revoked_at: clock.now() })
          .where('user_id', '=', holder.id)
          .where('id', '<>', holder.session.id)
          .where('revoked_at', 'is', null)
          .execute();
      },
    });
  }

  async function changeEmail(holder: Holder, rawEmail: string): Promise<void> {
    const email = rawEmail.trim().toLowerCase();
    await assertMayChange(holder);
    const old = await db.selectFrom('users').select('email').where('id', '=', holder.id).executeTakeFirstOrThrow();
    if (old.email === email)
      throw new AppError('invalid_request', 'this is already your email address', { field: 'email' });
    await applyContactChange(holder.id, 'email_changed', { email, alsoTell: { email: old.email } }, (trx) =>
      trx.updateTable('users').set({ email }).where('id', '=', holder.id).execute(),
    );
  }

  /** The new phone starts unconfirmed (no money moves until its code is confirmed); a code is sent to it. */
  async function changePhone(holder: Holder, rawPhone: string, source?: RequestSource): Promise<void> {
    const phone = normalizePhone(rawPhone);
    if (!isJapanesePhone(phone))
      throw new AppError('invalid_request', 'phone must be a Japanese number such as 09012345678 or +819012345678', {
        field: 'phone',
      });
    await assertMayChange(holder);
    const old = await db.selectFrom('users').select('phone').where('id', '=', holder.id).executeTakeFirstOrThrow();
    if (old.phone === phone)
      throw new AppError('invalid_request', 'this is already your phone number', { field: 'phone' });
    const scored = await scoreChange('phone_change', holder.id, source);
    await applyContactChange(holder.id, 'phone_changed', { phone, alsoTell: { phone: old.phone } }, async (trx) => {
      await trx.updateTable('users').set({ phone, phone_confirmed_at: null }).where('id', '=', holder.id).execute();
      await recordScoredEvent(deps.risk, trx, scored, holder.id);
    });
    await deps.identity.sendPhoneCode(holder.id, phone);
  }

  /**
   * A contact in use by another account answers as sign-up does (one code, and the other owner is told), so
   * changing contacts is no better a probe than signing up.
   */
  async function applyContactChange(
    userId: string,
    what: 'email_changed' | 'phone_changed',
    o: { email?: string; phone?: string; alsoTell: { email?: string; phone?: string } },
    change: (trx: Transaction<DB>) => Promise<unknown>,
  ): Promise<void> {
    try {
      await apply(userId, what, { hold: true, alsoTell: o.alsoTell, change: async (trx) => void (await change(trx)) });
    } catch (e) {
      if (!isUniqueViolation(e, 'users_email_key') && !isUniqueViolation(e, 'users_phone_key')) throw e;
      if (o.email)
        await deps.notifier.send({
          to: o.email,
          channel: 'email',
          body: 'Saifu: someone tried to move this email address to another Saifu account. If it was not you, you need do nothing.',
        });
      if (o.phone)
        await deps.notifier.send({
          to: o.phone,
          channel: 'sms',
          body: 'Saifu: someone tried to move this phone number to another Saifu account. If it was not you, you need do nothing.',
        });
      throw new AppError(
        'contact_unavailable',
        `this ${o.email ? 'email address' : 'phone number'} cannot be used for your account`,
      );
    }
  }

  return {
    stepUp,
    assertMayChange,
    beginTotp,
    confirmTotp,
    removeTotp,
    passkeyRegistrationOptions,
    registerPasskey,
    listPasskeys: deps.passkeys.list,
    removePasskey,
    changePassword,
    changeEmail,
    changePhone,
  };
}
export type AccountSecurity = ReturnType<typeof createAccountSecurity>;
