/**
 * The one error type. Domain code throws `AppError` with a stable code; `http/errors.ts` maps codes to statuses in
 * one exhaustive table, so adding a code makes the compiler ask for its status.
 *
 * Platform knows no area, so the closed set of codes is assembled the other way round: each area's `errors.ts`
 * lists its codes (`IDENTITY_ERROR_CODES`, …) and registers them in `ErrorCodeRegistry` by declaration merging.
 * `ErrorCode` is the union of everything registered, so `new AppError('typo', …)` fails to compile anywhere, and
 * `http/errors.ts` (which imports every list) checks that its table and the registry hold the same codes.
 */

/** Codes every area may throw: nothing area-specific about them. */
export const PLATFORM_ERROR_CODES = [
  /** The input is malformed (any field but an amount). */
  'invalid_request',
  /** The thing asked for does not exist for this caller (a user-visible miss, never a broken invariant). */
  'not_found',
  /** The object is in a state that does not allow the action (already done, failed, voided…). */
  'invalid_state',
  /** A broken invariant or an unexpected failure: logged with context, answered with the request id. */
  'internal_error',
] as const;
export type PlatformErrorCode = (typeof PLATFORM_ERROR_CODES)[number];

/** Filled by each area's errors.ts (`declare module '../platform/errors.ts' { interface ErrorCodeRegistry { … } }`). */
export interface ErrorCodeRegistry {
  platform: PlatformErrorCode;
}

/** Every error code of the API: the union of every area's closed list. */
export type ErrorCode = ErrorCodeRegistry[keyof ErrorCodeRegistry];

export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: C,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
