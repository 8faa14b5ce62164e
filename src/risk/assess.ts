import type { Clock, NewId } from '../platform/index.ts';
import { type Counters, type Distinct, type Stamp, type Totals, syncCountersOf } from './counters.ts';
import type { Decision } from './decide.ts';
import type { ListIndex } from './lists.ts';
import type { Assessment, ShadowDecision } from './store.ts';
import { NEVER_HOURS, type RiskEvent, type Signals, signalsOf, tokyoHour } from './vocabulary.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** How long "first seen on this device", the last charge and the last security changes are remembered. */
const STAMP_TTL_MS = 90 * DAY_MS;
const PAYEE_WINDOW_MS = 90 * DAY_MS;
/** A wallet younger than this is "new" for the mule signal. */
const NEW_WALLET_HOURS = 7 * 24;

const MONEY = new Set(['charge', 'payment', 'transfer', 'withdrawal']);

/** Totals before this event: `record` returns them with it (counters count before they are checked). */
const before = (t: Totals, amount: number) => ({
  count1h: Math.max(0, t['1h'].count - 1),
  count24h: Math.max(0, t['24h'].count - 1),
  sum24h: Math.max(0, t['24h'].sum - amount),
});

const hoursSince = (s: Stamp | undefined, ms: number): number => (s ? Math.max(0, (ms - s.at) / HOUR_MS) : NEVER_HOURS);

export interface AssessorDeps {
  clock: Clock;
  counters: Counters;
  newId: NewId;
  /** The rule set in force (pure, synchronous). */
  decide: (event: RiskEvent, signals: Signals, at: Date) => Decision;
  /** The shadowed draft, if one runs: decided and stored beside the real decision, never enforced. */
  shadow: (event: RiskEvent, signals: Signals, at: Date) => ShadowDecision | undefined;
  lists: ListIndex;
}

type Maybe<T> = T | Promise<T>;
interface MaybeSyncCounters {
  record(key: string, at: Date, amount?: number): Maybe<Totals>;
  read(key: string, at: Date): Maybe<Totals>;
  distinct(key: string, member: string | undefined, at: Date, windowMs: number): Maybe<Distinct>;
  stamp(
    key: string,
    at: Date,
    value: number | undefined,
    mode: 'first' | 'last',
    ttlMs: number,
  ): Maybe<Stamp | undefined>;
}
type Resolved<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/**
 * The port the flows call (`assess(event, known) → Assessment`): records the event in the velocity counters
 * (per user, device and IP; distinct wallets per device and IP; payees; stamps for the last charge, the first sight
 * of this user on this device and the last security changes) before deciding, adds what the counters and the
 * in-memory lists know to the signals the caller computed from rows it already had, fills the rest with quiet
 * defaults and decides on the rule set in force. No database round trip: the counters are in memory (or one
 * pipelined Redis connection) and the lists are held in memory. Storing the assessment is the caller's, in the
 * transaction of the change it describes (`assessmentStatements`).
 */
export function createAssessor(deps: AssessorDeps) {
  const sync = syncCountersOf(deps.counters);
  /** The counters as called: synchronous when they can be, else the async interface (one batch, awaited once). */
  const c: MaybeSyncCounters = sync ?? deps.counters;
  return {
    async assess(event: RiskEvent, known: Partial<Signals>): Promise<Assessment> {
      const at = deps.clock.now();
      const ms = at.getTime();
      const u = event.userId;
      const money = MONEY.has(event.type);
      const payee = (event.type === 'payment' || event.type === 'transfer') && event.recipientId !== '';
      const accountAgeHours = known.accountAgeHours ?? NEVER_HOURS;
      // Reads of a key come before its record in the same batch: the in-process counters run each call to the
      // end synchronously (and are called synchronously when they can be: no promise per call), and one Redis
      // connection answers in order.
      const calls = [
        money ? c.read(`user:${u}:money`, at) : undefined,
        c.record(`user:${u}:${event.type}`, at, event.amount),
        event.deviceId ? c.record(`device:${event.deviceId}:${event.type}`, at, event.amount) : undefined,
        event.ip ? c.record(`ip:${event.ip}:${event.type}`, at, event.amount) : undefined,
        event.deviceId ? c.distinct(`wallets:device:${event.deviceId}`, u, at, 30 * DAY_MS) : undefined,
        event.ip ? c.distinct(`wallets:ip:${event.ip}`, u, at, DAY_MS) : undefined,
        event.deviceId
          ? c.distinct(
              `identities:device:${event.deviceId}`,
              event.familyNameKana ? event.familyNameKana.replace(/\s/g, '') : undefined,
              at,
              30 * DAY_MS,
            )
          : undefined,
        // A request without a device id is treated as a new device: leaving the header out must not look safer.
        event.deviceId ? c.stamp(`seen:${u}:${event.deviceId}`, at, 1, 'first', STAMP_TTL_MS) : undefined,
        c.stamp(`last-charge:${u}`, at, event.type === 'charge' ? event.amount : undefined, 'last', STAMP_TTL_MS),
        c.stamp(`changed:password:${u}`, at, event.type === 'password_change' ? 1 : undefined, 'last', STAMP_TTL_MS),
        c.stamp(`changed:phone:${u}`, at, event.type === 'phone_change' ? 1 : undefined, 'last', STAMP_TTL_MS),
        c.stamp(`last-link:${u}`, at, event.type === 'link' ? 1 : undefined, 'last', STAMP_TTL_MS),
        payee ? c.distinct(`payees:${u}`, event.recipientId, at, PAYEE_WINDOW_MS) : undefined,
        payee
          ? c.distinct(
              `new-payers:${event.recipientId}`,
              accountAgeHours < NEW_WALLET_HOURS ? u : undefined,
              at,
              DAY_MS,
            )
          : undefined,
        money && (event.type === 'charge' || event.type === 'payment')
          ? c.record(`user:${u}:money`, at, event.amount)
          : undefined,
      ] as const;
      const [
        money30d,
        user,
        ,
        ,
        perDevice,
        perIp,
        identities,
        seenOnDevice,
        lastCharge,
        passwordChange,
        phoneChange,
        lastLink,
        payees,
        newPayers,
      ] = (sync ? calls : await Promise.all(calls)) as Resolved<typeof calls>;
      const prior = before(user, event.amount);
      const computed: Partial<Signals> = {
        walletsPerDevice30d: perDevice?.size ?? 1,
        walletsPerIp24h: perIp?.size ?? 1,
        identitiesPerDevice30d: identities?.size ?? (event.familyNameKana ? 1 : 0),
        deviceAgeHours: hoursSince(seenOnDevice, ms),
        passwordChangeAgeHours: hoursSince(passwordChange, ms),
        phoneChangeAgeHours: hoursSince(phoneChange, ms),
        lastLinkAgeHours: hoursSince(lastLink, ms),
        minutesSinceLastCharge: lastCharge ? Math.max(0, (ms - lastCharge.at) / MINUTE_MS) : NEVER_HOURS * 60,
        lastChargeAmount: lastCharge?.value ?? 0,
        userMaxAmount30d: money30d?.['30d'].max ?? 0,
        firstPaymentToPayee: payees?.isNew ?? false,
        recipientNewPayers24h: newPayers?.size ?? 0,
        blocklisted: deps.lists.matches('block', event, at),
        allowlisted: deps.lists.matches('allow', event, at),
        watchlisted: deps.lists.matches('watch', event, at),
        tokyoHour: tokyoHour(at),
        ...(event.type === 'charge'
          ? { userCharges1h: prior.count1h, userCharges24h: prior.count24h, userChargeSum24h: prior.sum24h }
          : {}),
      };
      const signals = signalsOf({ ...computed, ...known });
      const decision = deps.decide(event, signals, at);
      const shadow = deps.shadow(event, signals, at);
      return {
        ...decision,
        id: deps.newId('rev'),
        at,
        event,
        signals,
        enforced: true,
        ...(shadow ? { shadow } : {}),
      };
    },
  };
}
export type Assessor = ReturnType<typeof createAssessor>;
