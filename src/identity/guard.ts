import { AppError } from '../platform/index.ts';

/** What the guard reads of a user: any user value that came through a session carries it. */
export interface GuardedUser {
  phoneConfirmed: boolean;
  verification?: string;
  frozen?: boolean;
  session?: { elevatedUntil: string | null } | undefined;
}

/** What an action needs of the user acting. */
export interface Requirements {
  /** The phone number is confirmed by SMS (money and linking). */
  phoneConfirmed?: boolean;
  /** The identity is verified (eKYC): linking a bank account. */
  verified?: boolean;
  /** The wallet is not frozen by a report or an operator. */
  notFrozen?: boolean;
  /** The session confirmed a second factor in the last 5 minutes (step-up). */
  freshFactor?: boolean;
}

/** Whether the session holds a fresh second factor (a step-up in the last 5 minutes). */
export function hasFreshFactor(user: Pick<GuardedUser, 'session'>, now: Date): boolean {
  const until = user.session?.elevatedUntil;
  return until != null && Date.parse(until) > now.getTime();
}

/**
 * The one answer to "may this user do this now?", checked in a fixed order so the same situation gets the same
 * code everywhere: phone_not_confirmed, verification_required, wallet_frozen, step_up_required. `action` says
 * what was refused, in words for the message; the codes carry no URLs (the HTTP layer adds where to go).
 */
export function assertMay(user: GuardedUser, needs: Requirements, action: string, now?: Date): void {
  if (needs.phoneConfirmed && !user.phoneConfirmed)
    throw new AppError('phone_not_confirmed', `confirm your phone number before you ${action}`);
  if (needs.verified && user.verification !== 'verified')
    throw new AppError('verification_required', `verify your identity (eKYC) before you ${action}`);
  if (needs.notFrozen && user.frozen) throw new AppError('wallet_frozen', 'this wallet is frozen: contact support');
  if (needs.freshFactor && (now === undefined || !hasFreshFactor(user, now)))
    throw new AppError('step_up_required', `confirm with a second factor before you ${action}`);
}
