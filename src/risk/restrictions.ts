import type { RestrictionSpec, RestrictionType } from './rules.ts';

/** A restriction a decision attached: in force until `until`. */
export interface Restriction {
  type: RestrictionType;
  /** Yen a day, for charge_daily_cap. */
  limit?: number;
  until: Date;
  message: string;
  /** The rule that attached it. */
  rule?: string;
}

const HOUR_MS = 3_600_000;

/** A rule's restriction made concrete at the decision time. */
export function restrictionAt(spec: RestrictionSpec, at: Date, rule?: string): Restriction {
  const until = new Date(at.getTime() + spec.durationHours * HOUR_MS);
  return {
    type: spec.type,
    ...(spec.limit === undefined ? {} : { limit: spec.limit }),
    until,
    message: spec.message,
    ...(rule ? { rule } : {}),
  };
}

/** The restrictions still in force at `now` (expiry is exclusive: at `until` it is gone). */
export const activeRestrictions = <R extends { until: Date }>(list: readonly R[], now: Date): R[] =>
  list.filter((r) => r.until.getTime() > now.getTime());

/** A movement of money as the restrictions see it. */
export type Movement =
  | { kind: 'charge'; amount: number /** yen already charged on this link today (Asia/Tokyo) */; chargedToday: number }
  | { kind: 'payment'; recipientKind: 'merchant' | 'person' }
  | { kind: 'transfer' }
  | { kind: 'withdrawal'; toChargingAccount: boolean };

function refuses(r: Restriction, m: Movement): boolean {
  switch (r.type) {
    case 'charge_daily_cap':
      return m.kind === 'charge' && m.chargedToday + m.amount > (r.limit ?? 0);
    case 'no_outgoing_transfers':
      return m.kind === 'transfer' || (m.kind === 'payment' && m.recipientKind === 'person');
    case 'withdrawals_to_charging_account_only':
      return m.kind === 'withdrawal' && !m.toChargingAccount;
    case 'merchants_only':
      return (m.kind === 'payment' && m.recipientKind === 'person') || m.kind === 'transfer';
  }
}

/** The first restriction in force at `now` that refuses the movement, or undefined if none does. */
export function checkRestriction(m: Movement, list: readonly Restriction[], now: Date): Restriction | undefined {
  return activeRestrictions(list, now).find((r) => refuses(r, m));
}

const TOKYO = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Plain words for a restriction with its expiry, e.g. for GET /v1/wallet ("… until 2026-11-17 12:00 JST"). */
export function describeRestriction(r: Restriction): string {
  const p = Object.fromEntries(TOKYO.formatToParts(r.until).map((x) => [x.type, x.value]));
  return `${r.message} (until ${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} JST)`;
}
