/**
 * The signal vocabulary: every field a rule may name, with its CEL type. It is declared to the CEL environment, so a
 * rule naming anything else is refused when it is created, with the position of the name.
 *
 * Numbers are CEL `double` (JS numbers pass through unconverted): compare with `50000` or `50000.0` alike, but write
 * arithmetic with doubles (`signals.userChargeSum24h + event.amount > 100000.0`). Ages are hours; an age of something
 * that never happened is NEVER_HOURS, so "changed within 24 h" is simply `< 24`.
 */

/** An age for "never": far beyond every window a rule looks at. */
export const NEVER_HOURS = 1_000_000;

export const EVENT_TYPES = [
  'signup',
  'login',
  'link',
  'charge',
  'payment',
  'transfer',
  'withdrawal',
  'pin_failure',
  'password_change',
  'phone_change',
  'ekyc',
  /** A PIN or one-time code given to authorize a link, scored before the bank checks it. */
  'link_authorization',
] as const;
export type RiskEventType = (typeof EVENT_TYPES)[number];

/** What happened (the money object or the attempt being scored). */
export const EVENT_FIELDS = {
  type: 'string',
  /** Yen; 0 for events without money. */
  amount: 'double',
  userId: 'string',
  deviceId: 'string',
  ip: 'string',
  /** The bank link charged or withdrawn to, or being linked; '' if none. */
  linkId: 'string',
  /** The payee (wallet or merchant) of a payment or transfer; '' if none. */
  recipientId: 'string',
  /** 'merchant' | 'person' | '' */
  recipientKind: 'string',
  /** The bank account charged, withdrawn to or being linked, as "bank-branch-account"; '' if none. */
  bankAccount: 'string',
  /** The user's email and phone (block lists; rules may look at a domain). */
  email: 'string',
  phone: 'string',
  /**
   * The family name (kana, as verified by eKYC) of the identity acting, where the flow knows it (links, eKYC);
   * '' otherwise. Counted per device: a household shares one, forged identities in victims' names do not.
   */
  familyNameKana: 'string',
} as const;

/** What is known about it at decision time (computed by the caller from counters and rows it already has). */
export const SIGNAL_FIELDS = {
  /** Hours since sign-up. */
  accountAgeHours: 'double',
  /** Hours since the link used by this event was activated (NEVER_HOURS if no link). */
  linkAgeHours: 'double',
  /** Hours since the user's most recent link was activated. */
  lastLinkAgeHours: 'double',
  phoneChangeAgeHours: 'double',
  passwordChangeAgeHours: 'double',
  /** Hours since this user was first seen on this device (0 on a new device). */
  deviceAgeHours: 'double',
  /** 'unverified' | 'pending' | 'verified' | 'rejected' */
  verification: 'string',
  /** The link's name-match score, 0–100 (100 when no link). */
  nameMatchScore: 'double',
  /**
   * The event's amount over the limit that applies to it, 0–1+: for a charge, the per-charge limit of the user's
   * level and bank (a cooling-off link's daily cap bounds it already); for a transfer or withdrawal, the spendable
   * balance.
   */
  limitRatio: 'double',
  userCharges1h: 'double',
  userCharges24h: 'double',
  userChargeSum24h: 'double',
  /** The largest single charge or payment of this user in 30 days (their own history). */
  userMaxAmount30d: 'double',
  /** Minutes since this user's last successful charge (NEVER_HOURS * 60 if none). */
  minutesSinceLastCharge: 'double',
  lastChargeAmount: 'double',
  /** Distinct wallets seen on this device / from this IP in 30 days, this one included. */
  walletsPerDevice30d: 'double',
  walletsPerIp24h: 'double',
  /**
   * Distinct identities seen on this device in 30 days, told apart by family name: counted where the flow knows the
   * name (links, eKYC), read on every event. A family sharing a tablet is one; forged identities are many.
   */
  identitiesPerDevice30d: 'double',
  /** Distinct wallets that hold or tried to link this bank account. */
  walletsPerBankAccount: 'double',
  /** PIN/OTP failures in the last hour with the same PIN value across accounts, and accounts tried from this device. */
  pinFailuresPerPinValue1h: 'double',
  pinFailureAccountsPerDevice1h: 'double',
  /** First money ever from this user to this payee. */
  firstPaymentToPayee: 'bool',
  /** Distinct wallets younger than 7 days that paid this recipient in 24 hours. */
  recipientNewPayers24h: 'double',
  /** Hour of the decision in Asia/Tokyo, 0–23 (filled by the engine from its clock). */
  tokyoHour: 'double',
  /** PIN/OTP failures on this bank account in the last hour (any wallet). */
  pinFailuresPerAccount1h: 'double',
  /** Membership in a block list (any of user, email, phone, device, IP, bank account, merchant, recipient). */
  blocklisted: 'bool',
  /** Membership in an allow list (an analyst vouched for this user, device, account...): rules may spare it. */
  allowlisted: 'bool',
  /**
   * One hop from fraud: the user, device, IP, bank account or payee was on a wallet labelled fraud (a holder's
   * "this wasn't me", an analyst's label, a bank's return); the label spread it to the watch list.
   */
  watchlisted: 'bool',
} as const;

type CelTs<T> = T extends 'double' ? number : T extends 'bool' ? boolean : string;
export type RiskEvent = { -readonly [K in keyof typeof EVENT_FIELDS]: CelTs<(typeof EVENT_FIELDS)[K]> } & {
  type: RiskEventType;
};
export type Signals = { -readonly [K in keyof typeof SIGNAL_FIELDS]: CelTs<(typeof SIGNAL_FIELDS)[K]> };

const EMPTY_EVENT: Omit<RiskEvent, 'type'> = {
  amount: 0,
  userId: '',
  deviceId: '',
  ip: '',
  linkId: '',
  recipientId: '',
  recipientKind: '',
  bankAccount: '',
  email: '',
  phone: '',
  familyNameKana: '',
};

const QUIET_SIGNALS: Signals = {
  accountAgeHours: NEVER_HOURS,
  linkAgeHours: NEVER_HOURS,
  lastLinkAgeHours: NEVER_HOURS,
  phoneChangeAgeHours: NEVER_HOURS,
  passwordChangeAgeHours: NEVER_HOURS,
  deviceAgeHours: NEVER_HOURS,
  verification: 'verified',
  nameMatchScore: 100,
  limitRatio: 0,
  userCharges1h: 0,
  userCharges24h: 0,
  userChargeSum24h: 0,
  userMaxAmount30d: 0,
  minutesSinceLastCharge: NEVER_HOURS * 60,
  lastChargeAmount: 0,
  walletsPerDevice30d: 1,
  walletsPerIp24h: 1,
  identitiesPerDevice30d: 0,
  walletsPerBankAccount: 1,
  pinFailuresPerPinValue1h: 0,
  pinFailureAccountsPerDevice1h: 0,
  firstPaymentToPayee: false,
  recipientNewPayers24h: 0,
  tokyoHour: 12,
  pinFailuresPerAccount1h: 0,
  blocklisted: false,
  allowlisted: false,
  watchlisted: false,
};

/** An event with every field present ('' / 0 for what does not apply). */
export const riskEvent = (e: Partial<RiskEvent> & Pick<RiskEvent, 'type'>): RiskEvent => ({ ...EMPTY_EVENT, ...e });

/**
 * Signals with every field present: what is not given is the quiet value (an old, verified account on a known
 * device with no recent changes). Every field must be present, since a rule reading a missing key fails at run time.
 */
export const signalsOf = (s: Partial<Signals> = {}): Signals => ({ ...QUIET_SIGNALS, ...s });

const TOKYO_OFFSET_MS = 9 * 3_600_000;
/** The hour in Asia/Tokyo (UTC+9, no daylight saving). */
export const tokyoHour = (at: Date): number => new Date(at.getTime() + TOKYO_OFFSET_MS).getUTCHours();
