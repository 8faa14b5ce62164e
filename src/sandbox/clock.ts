import { AppError, type Clock, ManualClock } from '../platform/index.ts';

/** Where POST /sandbox/clock sends the clock: to a moment, or forward by some milliseconds. */
export type ClockMove = { to: Date } | { advanceMs: number };

/** Whether the server's clock is simulated (SAIFU_SANDBOX_CLOCK, or a test's or the simulator's ManualClock). */
export const isManualClock = (clock: Clock): clock is ManualClock => clock instanceof ManualClock;

/**
 * Moves the simulated clock and returns its new now. Only forward (or to the same moment): rows already written
 * carry the current time, and a clock that went back would put expiries, windows and orderings out of step with them.
 */
export function moveSandboxClock(clock: Clock, move: ClockMove): Date {
  if (!isManualClock(clock))
    throw new AppError(
      'clock_not_manual',
      'this server runs the system clock; start it with SAIFU_SANDBOX_CLOCK=1 to move time through /sandbox/clock',
    );
  if ('advanceMs' in move) {
    clock.advance(move.advanceMs);
    return clock.now();
  }
  const now = clock.now();
  if (move.to.getTime() < now.getTime())
    throw new AppError('clock_backwards', 'the simulated clock only moves forward', {
      now: now.toISOString(),
      to: move.to.toISOString(),
    });
  clock.set(move.to);
  return clock.now();
}
