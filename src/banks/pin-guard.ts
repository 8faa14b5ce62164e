import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AttemptRefused, type Budget, type Ticket, counterKey, createAttemptCounter } from '../attempts/index.ts';
import type { DB } from '../db/index.ts';
import type { Clock } from '../platform/index.ts';
import type { LinkingPolicy } from './policy.ts';

export interface Source {
  deviceId?: string | undefined;
  ip?: string | undefined;
}

/** What a refused PIN attempt was counted against (for the case opened on it). */
export type GuardScope = 'pin_value' | 'ip' | 'device' | 'user';

const SCOPES: Record<string, GuardScope> = {
  'pin-value': 'pin_value',
  'pin-ip': 'ip',
  'pin-device': 'device',
  'pin-user': 'user',
};

/**
 * Reverse brute force: an attacker fixes a common PIN and tries it across many account numbers, so no single
 * account reaches the bank's 3-try lock. Every PIN attempt is taken, before the bank sees it, from four budgets
 * on the shared attempt counter: the PIN value (as a keyed hash: the PIN is never readable here) across all
 * accounts, the IP, the device and the wallet user. A right PIN gives its attempt back, so only failures add
 * up; when any budget is spent the attempt is refused unchecked. The IP is the socket address (or the proxy's
 * first X-Forwarded-For with SAIFU_TRUST_PROXY): the client cannot choose it; the device id is an extra key.
 */
export function createPinGuard(deps: { db: Kysely<DB>; clock: Clock; pepper: string; policy: () => LinkingPolicy }) {
  const counter = createAttemptCounter(deps);
  const pinKey = (pin: string) => createHmac('sha256', deps.pepper).update(`pin:${pin}`).digest('hex');

  function budgets(pin: string, source: Source, userId: string): Budget[] {
    const rb = deps.policy().reverseBruteForce;
    const perSource = (scope: string, value: string): Budget => ({
      key: counterKey(scope, value),
      max: rb.maxFailuresPerSource,
      windowMs: rb.windowMs,
    });
    return [
      { key: counterKey('pin-value', pinKey(pin)), max: rb.maxAccountsPerPin, windowMs: rb.windowMs },
      perSource('pin-user', userId),
      ...(source.ip ? [perSource('pin-ip', source.ip)] : []),
      ...(source.deviceId ? [perSource('pin-device', source.deviceId)] : []),
    ];
  }

  /**
   * Takes one PIN attempt before the bank checks it. Resolves to a ticket (say `failed` or `succeeded` once the
   * bank answered), or to the scope whose budget is spent. With the defence off every attempt passes.
   */
  async function take(
    pin: string,
    source: Source,
    userId: string,
  ): Promise<{ ticket: Ticket } | { refusedBy: GuardScope; retryAfterSeconds: number }> {
    if (!deps.policy().reverseBruteForce.enabled)
      return {
        ticket: {
          remaining: Number.MAX_SAFE_INTEGER,
          failed: async () => false,
          succeeded: async () => {},
          refund: async () => {},
        },
      };
    try {
      return { ticket: await counter.consume(budgets(pin, source, userId)) };
    } catch (e) {
      if (!(e instanceof AttemptRefused)) throw e;
      return {
        refusedBy: SCOPES[e.budgetKey.split(':')[0] ?? ''] ?? 'pin_value',
        retryAfterSeconds: Number(e.details.retryAfterSeconds ?? 60),
      };
    }
  }

  /**
   * PIN failures with this PIN value across accounts in the current window (attempts in flight included), read
   * without consuming anything: a risk signal. 0 with the defence off (nothing is counted then).
   */
  async function pinValueFailures(pin: string): Promise<number> {
    const rb = deps.policy().reverseBruteForce;
    if (!rb.enabled) return 0;
    return (
      await counter.peek({
        key: counterKey('pin-value', pinKey(pin)),
        max: rb.maxAccountsPerPin,
        windowMs: rb.windowMs,
      })
    ).used;
  }

  return { take, pinValueFailures };
}
export type PinGuard = ReturnType<typeof createPinGuard>;
