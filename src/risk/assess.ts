import type { Clock } from '../platform/index.ts';
import type { Counters, Totals } from './counters.ts';
import type { Decision } from './decide.ts';
import { type RiskEvent, type Signals, signalsOf } from './vocabulary.ts';

const DAY_MS = 86_400_000;

/** Totals before this event: `record` returns them with it (counters count before they are checked). */
const before = (t: Totals, amount: number) => ({
  count1h: Math.max(0, t['1h'].count - 1),
  count24h: Math.max(0, t['24h'].count - 1),
  sum24h: Math.max(0, t['24h'].sum - amount),
});

/**
 * The port the money flows call (`assess(event, signals) → Decision`): records the event in the velocity counters
 * (per user, device and IP, and the distinct wallets seen on the device and IP) before deciding, adds what the
 * counters know to the signals the caller computed from its own rows, fills the rest with the quiet defaults
 * (`signalsOf`) and decides on the rule set in force. Async only for the counters (Redis); `decide` is pure.
 */
export function createAssessor(deps: {
  clock: Clock;
  counters: Counters;
  decide: (event: RiskEvent, signals: Signals) => Decision;
}) {
  const { counters } = deps;
  return {
    async assess(event: RiskEvent, known: Partial<Signals>): Promise<Decision> {
      const at = deps.clock.now();
      const [user, , , walletsPerDevice30d, walletsPerIp24h] = await Promise.all([
        counters.record(`user:${event.userId}:${event.type}`, at, event.amount),
        event.deviceId ? counters.record(`device:${event.deviceId}:${event.type}`, at, event.amount) : undefined,
        event.ip ? counters.record(`ip:${event.ip}:${event.type}`, at, event.amount) : undefined,
        event.deviceId ? counters.distinct(`wallets:device:${event.deviceId}`, event.userId, at, 30 * DAY_MS) : 1,
        event.ip ? counters.distinct(`wallets:ip:${event.ip}`, event.userId, at, DAY_MS) : 1,
      ]);
      const prior = before(user, event.amount);
      const velocity: Partial<Signals> =
        event.type === 'charge'
          ? { userCharges1h: prior.count1h, userCharges24h: prior.count24h, userChargeSum24h: prior.sum24h }
          : {};
      return deps.decide(event, signalsOf({ walletsPerDevice30d, walletsPerIp24h, ...velocity, ...known }));
    },
  };
}
export type Assessor = ReturnType<typeof createAssessor>;
