import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Kysely, Transaction } from 'kysely';
import { type DB, inTransaction, isUniqueViolation } from '../db/index.ts';
import { type NoticeQueue, type Notifier, isJapanesePhone, normalizePhone } from '../notify/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import { createAttemptCounter, smsSendBudget } from '../attempts/index.ts';
import { createDeviceMemory } from './devices.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { createSessionCache } from './session-cache.ts';
import type { Mfa } from './mfa.ts';
import { sha256 } from './tokens.ts';
import {
  type IdentityRisk,
  type RequestSource,
  hoursSince,
  identityEvent,
  recordScoredEvent,
  scoreIdentityEvent,
} from './risk.ts';

export interface IdentityDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  notifier: Notifier;
  /** The outbox: sign-ins from new devices, lockouts and freezes are told through it; absent = not told. */
  notices?: NoticeQueue;
  mfa: Mfa;
  /** Called inside sign-up's transaction to open the user's wallet, so a user never exists without one. */
  openWallet: (trx: import('kysely').Transaction<DB>, userId: string) => Promise<void>;
  sessionTtlMs?: number;
  /** The risk engine (sign-up and sign-in are scored before anything changes); absent = no scoring. */
  risk?: IdentityRisk;
  /** argon2id cost of new password hashes; absent = the library's defaults. Lowered only by the simulator and tests. */
  hashCost?: { memoryCost: number; timeCost: number };
}

export interface User {
  id: string;
  email: string;
  phone: string;
  phoneConfirmed: boolean;
  verification: 'unverified' | 'pending' | 'verified' | 'rejected';
  frozen: boolean;
  /** Set for 24 hours after a factor, phone, email or password changes: outgoing transfers and withdrawals wait. */
  securityHoldUntil: string | null;
  createdAt: string;
}

/** A user as seen through one session: step-up state belongs to the session, not the user. */
export interface SessionUser extends User {
  /** `createdAt` is when the password was last given for this session (adding a second factor needs it recent). */
  session: { id: string; elevatedUntil: string | null; expiresAt: string; createdAt: string };
}

/** How long a request may act on a cached session (see session-cache.ts). */
const SESSION_CACHE_MS = 1_000;
const CODE_TTL_MS = 10 * 60 * 1000;
const MAX_CODE_ATTEMPTS = 5;

export { sha256 };

export type Identity = ReturnType<typeof createIdentity>;

/** Sign-up, phone confirmation and sessions. Passwords are argon2id; tokens and codes are stored hashed. */
export function createIdentity(deps: IdentityDeps) {
  const { db, clock } = deps;
  const ttl = deps.sessionTtlMs ?? 12 * 60 * 60 * 1000;
  const throttle = createLoginThrottle({ db, clock });
  const phoneThrottle = createLoginThrottle({ db, clock, scope: 'phone-confirm' });
  const sends = createAttemptCounter({ db, clock });
  const cache = createSessionCache(SESSION_CACHE_MS);
  const devices = createDeviceMemory(deps);

  async function signup(
    input: {
      email: string;
      phone: string;
      password: string;
    },
    source?: RequestSource,
  ): Promise<{ user: User; token: string }> {
    const email = input.email.trim().toLowerCase();
    const phone = normalizePhone(input.phone);
    if (!isJapanesePhone(phone))
      throw new AppError('invalid_request', 'phone must be a Japanese number such as 09012345678 or +819012345678', {
        field: 'phone',
      });
    const passwordHash = await hash(input.password, deps.hashCost);
    const id = deps.newId('usr');
    // Scored before the user exists: a deny creates nothing (the denied attempt is stored under the id it would have had).
    const scored = await scoreIdentityEvent(
      deps.risk,
      db,
      identityEvent('signup', { id, email, phone }, source),
      { accountAgeHours: 0, verification: 'unverified' },
      id,
    );
    try {
      await inTransaction(db, async (trx) => {
        await trx
          .insertInto('users')
          .values({ id, email, phone, password_hash: passwordHash, created_at: clock.now() })
          .execute();
        await deps.openWallet(trx, id);
        await recordScoredEvent(deps.risk, trx, scored, id);
        await devices.remember(trx, id, source);
      });
    } catch (e) {
      if (isUniqueViolation(e, 'users_email_key') || isUniqueViolation(e, 'users_phone_key')) {
        await warnOwnersOfSignupAttempt(email, phone);
        throw new AppError(
          'signup_conflict',
          'this email or phone number cannot be used for a new account; if you already have an account, sign in',
        );
      }
      throw e;
    }
    await sendPhoneCode(id, phone);
    const token = await openSession(id);
    return { user: await getUser(id), token };
  }

  /**
   * What sign-up must reveal: one account per email and per phone number, and sign-up answers with a session at
   * once, so a request reusing either is refused there and then. It says no more than that: one answer
   * (`signup_conflict`) for either field, never which one; the route is limited per client address; and whoever
   * owns the email or the phone hears that someone tried, so probing does not go unseen.
   */
  async function warnOwnersOfSignupAttempt(email: string, phone: string): Promise<void> {
    const owners = await db
      .selectFrom('users')
      .select(['email', 'phone'])
      .where((eb) => eb.or([eb('email', '=', email), eb('phone', '=', phone)]))
      .execute();
    for (const o of owners) {
      if (o.email === email)
        await deps.notifier.send({
          to: o.email,
          channel: 'email',
          body: 'Saifu: someone tried to open a new Saifu account with this email address. If it was you, sign in instead; if not, you need do nothing.',
        });
      if (o.phone === phone)
        await deps.notifier.send({
          to: o.phone,
          channel: 'sms',
          body: 'Saifu: someone tried to open a new Saifu account with this phone number. If it was you, sign in instead; if not, you need do nothing.',
        });
    }
  }

  async function sendPhoneCode(userId: string, phone: string): Promise<void> {
    await sends.consume(smsSendBudget(phone));
    const code = String(randomInt(1_000_000)).padStart(6, '0');
    const expires = new Date(clock.now().getTime() + CODE_TTL_MS);
    await db
      .insertInto('phone_codes')
      .values({ user_id: userId, code_hash: sha256(`${userId}:${code}`), attempts: 0, expires_at: expires })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ code_hash: sha256(`${userId}:${code}`), attempts: 0, expires_at: expires }),
      )
      .execute();
    await deps.notifier.send({
      to: phone,
      channel: 'sms',
      body: `Saifu: your confirmation code is ${code}. It expires in 10 minutes.`,
      code,
    });
  }

  /**
   * Checks the phone code. The guess is taken from the user's phone-confirmation throttle (5 wrong in a row
   * lock it, escalating) and counted on the code's row by a conditional UPDATE before the comparison: parallel
   * guesses get at most 5 evaluations per code, and asking for a new code gives no new tries while locked.
   */
  async function confirmPhone(userId: string, code: string): Promise<User> {
    const attempt = await phoneThrottle.beginAttempt(userId);
    const row = await db
      .updateTable('phone_codes')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('user_id', '=', userId)
      .where('attempts', '<', MAX_CODE_ATTEMPTS)
      .where('expires_at', '>=', clock.now())
      .returning(['code_hash', 'attempts'])
      .executeTakeFirst();
    if (!row) {
      await attempt.uncounted();
      throw new AppError('invalid_otp', 'the code has expired or was tried too often: ask for a new one');
    }
    const ok = timingSafeEqual(Buffer.from(row.code_hash), Buffer.from(sha256(`${userId}:${code}`)));
    if (!ok) {
      await attempt.failed();
      throw new AppError('invalid_otp', 'the code is not correct', {
        attemptsLeft: Math.max(0, MAX_CODE_ATTEMPTS - row.attempts),
      });
    }
    await attempt.succeeded();
    await inTransaction(db, async (trx) => {
      await trx.updateTable('users').set({ phone_confirmed_at: clock.now() }).where('id', '=', userId).execute();
      await trx.deleteFrom('phone_codes').where('user_id', '=', userId).execute();
    });
    forgetUser(userId);
    return getUser(userId);
  }

  /**
   * Sign-in: password, then TOTP when enrolled. Failures count per email (existing or not) and lock it after
   * five; the answer never says which factor was wrong, and `mfa_required` comes only after a right password.
   */
  async function login(
    email: string,
    password: string,
    otp?: string,
    source?: RequestSource,
  ): Promise<{ user: User; token: string }> {
    const normalized = email.trim().toLowerCase();
    const row = await db
      .selectFrom('users')
      .select(['id', 'email', 'phone', 'password_hash', 'verification', 'created_at'])
      .where('email', '=', normalized)
      .executeTakeFirst();
    // The owner (if any) hears of a lock; the caller sees the same 429 for every email.
    // The lock is the attempt counter's own write, not a transaction of ours: the notice is enqueued right after it.
    const notifyLocked = async () => {
      if (row)
        await deps.notices?.enqueue(db, {
          channel: 'email',
          to: { userId: row.id },
          template: 'account_locked',
          data: { at: clock.now().toISOString() },
        });
    };
    const attempt = await throttle.beginAttempt(normalized, notifyLocked);
    // Verify against a fixed hash when the email is unknown so timing does not tell which emails exist.
    const passwordOk = await verify(row?.password_hash ?? DUMMY_HASH, password);
    let ok = row !== undefined && passwordOk;
    if (ok && row && (await deps.mfa.hasTotp(row.id))) {
      if (!otp) {
        await attempt.uncounted();
        throw new AppError('mfa_required', 'enter the code from your authenticator app');
      }
      ok = await deps.mfa.useTotp(row.id, otp);
    }
    if (!ok || !row) {
      await attempt.failed();
      throw new AppError('invalid_credentials', 'email, password or code is not correct');
    }
    await attempt.succeeded();
    // Only a sign-in with the right credentials is scored (wrong ones are the throttle's): a deny opens no session.
    const scored = await scoreIdentityEvent(deps.risk, db, identityEvent('login', row, source), {
      accountAgeHours: hoursSince(row.created_at, clock.now()),
      verification: row.verification,
    });
    const token = await openSession(row.id, async (trx, sessionId) => {
      await recordScoredEvent(deps.risk, trx, scored, sessionId);
      await devices.signedIn(trx, row.id, source);
    });
    return { user: await getUser(row.id), token };
  }

  async function openSession(
    userId: string,
    alongside?: (trx: Transaction<DB>, sessionId: string) => Promise<void>,
  ): Promise<string> {
    const token = `ses_${randomBytes(32).toString('base64url')}`;
    const now = clock.now();
    const id = deps.newId('ses');
    await inTransaction(db, async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          id,
          user_id: userId,
          token_hash: sha256(token),
          created_at: now,
          expires_at: new Date(now.getTime() + ttl),
        })
        .execute();
      await alongside?.(trx, id);
    });
    return token;
  }

  async function revokeSession(token: string): Promise<void> {
    cache.forgetToken(sha256(token));
    await db
      .updateTable('sessions')
      .set({ revoked_at: clock.now() })
      .where('token_hash', '=', sha256(token))
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** The user behind a live session token, or undefined. One indexed query: this runs on every request. */
  async function authenticate(token: string): Promise<SessionUser | undefined> {
    const key = sha256(token);
    const cached = cache.get(key, Date.now());
    if (cached && new Date(cached.session.expiresAt) > clock.now()) return cached;
    const row = await db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select([
        'u.id',
        'u.email',
        'u.phone',
        'u.phone_confirmed_at',
        'u.verification',
        'u.frozen_at',
        'u.security_hold_until',
        'u.created_at',
        's.id as session_id',
        's.created_at as session_created_at',
        's.expires_at',
        's.revoked_at',
        's.elevated_until',
      ])
      .where('s.token_hash', '=', sha256(token))
      .executeTakeFirst();
    if (!row || row.revoked_at || new Date(row.expires_at) <= clock.now()) return undefined;
    const user: SessionUser = {
      ...toUser(row),
      session: {
        id: row.session_id,
        elevatedUntil: row.elevated_until ? new Date(row.elevated_until).toISOString() : null,
        expiresAt: new Date(row.expires_at).toISOString(),
        createdAt: new Date(row.session_created_at).toISOString(),
      },
    };
    // The cache lives in wall-clock time (it bounds staleness); session expiry stays on the injected clock.
    cache.set(key, user, Date.now());
    return user;
  }

  /** Drops cached sessions of a user (after a freeze, a verification, a step-up) so the next request reads the database. */
  function forgetUser(userId: string): void {
    cache.forgetWhere((u) => u.id === userId);
  }

  async function getUser(id: string): Promise<User> {
    const row = await db
      .selectFrom('users')
      .select([
        'id',
        'email',
        'phone',
        'phone_confirmed_at',
        'verification',
        'frozen_at',
        'security_hold_until',
        'created_at',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no such user');
    return toUser(row);
  }

  async function findUserIdByPhone(phone: string): Promise<string | undefined> {
    return (await db.selectFrom('users').select('id').where('phone', '=', normalizePhone(phone)).executeTakeFirst())
      ?.id;
  }

  /** Freezes the wallets of these users (their outgoing money), in the caller's transaction: "this wasn't me". */
  async function freezeUsers(trx: Transaction<DB>, userIds: string[], at: Date): Promise<void> {
    if (userIds.length === 0) return;
    const frozen = await trx
      .updateTable('users')
      .set({ frozen_at: at })
      .where('id', 'in', userIds)
      .where('frozen_at', 'is', null)
      .returning('id')
      .execute();
    for (const u of frozen)
      await deps.notices?.enqueue(trx, {
        channel: 'email',
        to: { userId: u.id },
        template: 'wallet_frozen',
        data: { at: at.toISOString() },
        idempotencyKey: `wallet_frozen:${u.id}:${at.toISOString()}`,
      });
  }

  /** Lifts an operator's freeze on these wallets, in the caller's transaction (an analyst found them honest). */
  async function unfreezeUsers(trx: Transaction<DB>, userIds: string[]): Promise<void> {
    if (userIds.length > 0)
      await trx.updateTable('users').set({ frozen_at: null }).where('id', 'in', userIds).execute();
  }

  /** For tests, seeds and operators: marks a phone confirmed without a code. */
  async function markPhoneConfirmed(userId: string): Promise<void> {
    await db.updateTable('users').set({ phone_confirmed_at: clock.now() }).where('id', '=', userId).execute();
    forgetUser(userId);
  }

  return {
    freezeUsers,
    unfreezeUsers,
    signup,
    confirmPhone,
    sendPhoneCode,
    login,
    openSession,
    revokeSession,
    authenticate,
    forgetUser,
    getUser,
    findUserIdByPhone,
    markPhoneConfirmed,
  };
}

function toUser(r: {
  id: string;
  email: string;
  phone: string;
  phone_confirmed_at: Date | string | null;
  verification: User['verification'];
  frozen_at: Date | string | null;
  security_hold_until: Date | string | null;
  created_at: Date | string;
}): User {
  return {
    id: r.id,
    email: r.email,
    phone: r.phone,
    phoneConfirmed: r.phone_confirmed_at !== null,
    verification: r.verification,
    frozen: r.frozen_at !== null,
    securityHoldUntil: r.security_hold_until ? new Date(r.security_hold_until).toISOString() : null,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

// argon2id hash of a random string nobody knows; only used to spend the same time on unknown emails.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$FVwp+k9VH0MIZcEq60lDnw$Fys5jWe2vdzq2EsOiN0FMddjLx4+2+qmq0S7iajS4wY';
