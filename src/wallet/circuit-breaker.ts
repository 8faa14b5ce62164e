import type { Clock } from '../platform/index.ts';

export interface BreakerOptions {
  /** Consecutive `BankUnavailableError`s from one bank that open its circuit. */
  failures: number;
  /** How long an open circuit refuses before it lets one probe through (half-open). */
  coolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failures: 5, coolDownMs: 30_000 };

/** `open`: refuse without calling; `probe`: this caller is the one let through to test a half-open circuit. */
export type BreakerVerdict = { pass: true; probe: boolean } | { pass: false; retryAfterMs: number };

interface Circuit {
  failures: number;
  openedAt: number | null;
  /** When the half-open probe was let through; a probe that never reports back frees the slot after a cool-down. */
  probeSince: number | null;
}

/**
 * A circuit breaker per bank: after `failures` consecutive "bank unavailable" answers the bank's circuit opens and
 * every movement to it is refused before anything is written, for `coolDownMs`; then one probe is let through
 * (half-open). The probe's success closes the circuit; its failure opens it again for another cool-down.
 *
 * State lives in this process's memory: each worker learns about an outage on its own (at most `failures` calls
 * each), and a restart starts closed. That is enough for its purpose (not hammering a bank that is down, not
 * creating a failed object per retry); it is not a shared view of the bank's health.
 */
export function createCircuitBreaker(clock: Clock, o: BreakerOptions = DEFAULT_BREAKER) {
  const circuits = new Map<string, Circuit>();
  const circuitOf = (bank: string): Circuit => {
    const known = circuits.get(bank);
    if (known) return known;
    const c: Circuit = { failures: 0, openedAt: null, probeSince: null };
    circuits.set(bank, c);
    return c;
  };

  /** May a movement to this bank start now? A half-open circuit answers `probe: true` to exactly one caller. */
  function check(bank: string): BreakerVerdict {
    const c = circuits.get(bank);
    if (!c || c.openedAt === null) return { pass: true, probe: false };
    const now = clock.now().getTime();
    const reopensAt = c.openedAt + o.coolDownMs;
    if (now < reopensAt) return { pass: false, retryAfterMs: reopensAt - now };
    if (c.probeSince !== null && now < c.probeSince + o.coolDownMs)
      return { pass: false, retryAfterMs: Math.min(o.coolDownMs, c.probeSince + o.coolDownMs - now) };
    c.probeSince = now;
    return { pass: true, probe: true };
  }

  /** The bank answered (any answer, a decline or a timeout included): it is reachable, the circuit closes. */
  function succeeded(bank: string): void {
    circuits.delete(bank);
  }

  /** The bank was unavailable: count it; the Kth in a row (or a failed probe) opens the circuit. */
  function failed(bank: string): void {
    const c = circuitOf(bank);
    c.failures++;
    const probing = c.openedAt !== null;
    if (probing || c.failures >= o.failures) {
      c.openedAt = clock.now().getTime();
      c.probeSince = null;
    }
  }

  /** How long until this bank's circuit lets a call through again (0 when closed). */
  function retryAfterMs(bank: string): number {
    const c = circuits.get(bank);
    if (!c || c.openedAt === null) return 0;
    return Math.max(0, c.openedAt + o.coolDownMs - clock.now().getTime());
  }

  function state(bank: string): 'closed' | 'open' | 'half_open' {
    const c = circuits.get(bank);
    if (!c || c.openedAt === null) return 'closed';
    return clock.now().getTime() < c.openedAt + o.coolDownMs ? 'open' : 'half_open';
  }

  return { check, succeeded, failed, retryAfterMs, state };
}
export type CircuitBreaker = ReturnType<typeof createCircuitBreaker>;
