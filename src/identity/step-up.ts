import { AppError } from '../platform/index.ts';
import { assertMay, hasFreshFactor } from './guard.ts';

/** How long a step-up lets a session do sensitive things. */
export const ELEVATION_MS = 5 * 60 * 1000;

/**
 * What the checks read: any user value that came through a session (`authenticate` → req.user) carries its
 * session; a user without one (loaded by id, a job) is never stepped up.
 */
export interface SessionHolder {
  id: string;
  session?: { id?: string; elevatedUntil: string | null; createdAt?: string } | undefined;
}

export const isSteppedUp = (user: SessionHolder, now: Date): boolean => hasFreshFactor(user, now);

/**
 * Money and linking call this before a sensitive action: it throws 403 step_up_required unless the session
 * confirmed a second factor less than 5 minutes ago.
 */
export function assertSteppedUp(user: SessionHolder, now: Date): void {
  assertMay({ phoneConfirmed: true, ...user }, { freshFactor: true }, 'do this', now);
}

/**
 * The floor for adding a second factor: a step-up in the last 5 minutes. A password alone (a fresh sign-in, a
 * stolen session) is never enough: otherwise whoever knows the password enrols their own authenticator and then
 * passes every step-up with it. `assertMayChangeSecurity` adds which factor the step-up used.
 */
export function assertMayAddFactor(user: SessionHolder, now: Date): void {
  if (isSteppedUp(user, now)) return;
  throw new AppError('step_up_required', 'adding a second factor needs a step-up with one you have first');
}

/**
 * Adding, changing or removing a factor, the phone, the email or the password: a user with TOTP or a passkey
 * must have stepped up with one of them in the last 5 minutes (`factorStepUpUntil`); a user with neither, with
 * the SMS code sent to the confirmed phone (the only factor there is). Anything else is 403 step_up_required,
 * with `details.with` naming what is accepted.
 */
export function assertMayChangeSecurity(
  user: SessionHolder,
  factors: { totp: boolean; passkeys: number },
  factorStepUpUntil: Date | null,
  now: Date,
): void {
  const hasFactor = factors.totp || factors.passkeys > 0;
  const ok = hasFactor
    ? factorStepUpUntil !== null && factorStepUpUntil.getTime() > now.getTime() && isSteppedUp(user, now)
    : isSteppedUp(user, now);
  if (ok) return;
  const accepted = hasFactor
    ? [...(factors.totp ? ['otp'] : []), ...(factors.passkeys > 0 ? ['passkey'] : [])]
    : ['smsCode'];
  throw new AppError(
    'step_up_required',
    `this change needs a step-up in the last 5 minutes with ${hasFactor ? 'your authenticator app or passkey' : 'the SMS code sent to your confirmed phone'}`,
    { with: accepted },
  );
}
