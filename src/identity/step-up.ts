import { AppError } from '../platform/index.ts';

/** How long a step-up lets a session do sensitive things. */
export const ELEVATION_MS = 5 * 60 * 1000;
/** How recently the password must have been given for a session to add a second factor without a step-up. */
export const RECENT_SIGN_IN_MS = 10 * 60 * 1000;

/**
 * What the checks read: any user value that came through a session (`authenticate` → req.user) carries its
 * session; a user without one (loaded by id, a job) is never stepped up.
 */
export interface SessionHolder {
  id: string;
  session?: { elevatedUntil: string | null; createdAt?: string } | undefined;
}

export function isSteppedUp(user: SessionHolder, now: Date): boolean {
  const until = user.session?.elevatedUntil;
  return until != null && Date.parse(until) > now.getTime();
}

/**
 * Money and linking call this before a sensitive action: it throws 403 step_up_required unless the session
 * confirmed a second factor less than 5 minutes ago (POST /v1/sessions/current/step-up).
 */
export function assertSteppedUp(user: SessionHolder, now: Date): void {
  if (!isSteppedUp(user, now)) throw new AppError('step_up_required', 'confirm with a second factor first (POST /v1/sessions/current/step-up)', { stepUp: '/v1/sessions/current/step-up' });
}

/**
 * Adding a second factor must not be open to whoever holds a session token: otherwise a stolen token could
 * enrol the thief's own authenticator and then pass every step-up with it. So it needs either a password given
 * in the last 10 minutes (a fresh sign-in or sign-up) or a step-up with a factor the user already has (SMS to
 * the confirmed phone, TOTP, a passkey).
 */
export function assertMayAddFactor(user: SessionHolder, now: Date): void {
  const signedInAt = user.session?.createdAt ? Date.parse(user.session.createdAt) : Number.NaN;
  if (now.getTime() - signedInAt <= RECENT_SIGN_IN_MS || isSteppedUp(user, now)) return;
  throw new AppError('step_up_required', 'adding a second factor needs a recent sign-in or a step-up (POST /v1/sessions/current/step-up)', { stepUp: '/v1/sessions/current/step-up' });
}
