import type { SimConfig } from './configs.ts';
import type { Tally } from './metrics.ts';
import { type MoneyKind, type MoneyOutcome, moveMoney } from './money.ts';
import {
  type BankAccount,
  idDocument,
  linkAccount,
  openBankAccount,
  personOf,
  phoneOf,
  verifyIdentity,
} from './people.ts';
import type { Dice } from './random.ts';
import type { Schedule } from './scheduler.ts';
import { SimSession, codeOf } from './session.ts';
import { type OwnLinks, accountKey } from './victims.ts';
import { DAY, HOUR, MINUTE, SIM_BANKS } from './world.ts';
import type { SimApi } from './api.ts';

/** Honest people: each joins once, links their own account(s), tops up, pays shops, now and then sends or withdraws. */
interface Honest {
  n: number;
  /** Who they are (a household shares the family name). */
  person: ReturnType<typeof personOf>;
  session: SimSession;
  accounts: BankAccount[];
  links: string[];
  balance: number;
  joined: boolean;
}

export interface HonestCtx {
  w: SimApi;
  config: SimConfig;
  dice: Dice;
  agenda: Schedule;
  tally: Tally;
  merchants: string[];
  start: number;
  days: number;
  /** A leaked customer list (account numbers, names, birth dates; no PINs) the PIN spray works through. */
  leaked: BankAccount[];
  /** What each holder knows they did: the links honest people made and the accounts they linked. */
  own: OwnLinks;
}

const FIRST_CHARGE = [3_000, 5_000, 10_000, 10_000, 10_000, 20_000, 20_000, 30_000, 30_000, 50_000];
const TOP_UP = [10_000, 10_000, 20_000, 30_000];

/** An hour people keep, in Asia/Tokyo (UTC+9): mostly 7–23, a few at night. */
export function tokyoHour(dice: Dice, dayStart: number): number {
  const hour = dice.chance(0.04) ? dice.int(0, 5) : dice.int(7, 23);
  return dayStart + (hour - 9) * HOUR + dice.int(0, 59) * MINUTE + HOUR * 24 * (hour < 9 ? 1 : 0);
}

/** Schedules the honest population: joins spread over the first half of the run, households sharing a device. */
export function scheduleHonest(ctx: HonestCtx, users: number): Honest[] {
  const people: Honest[] = [];
  let household = 0;
  let left = 0;
  let source = { deviceId: '', ip: '' };
  let family: { familyName: string; familyNameKana: string; holderFamily: string } | undefined;
  for (let n = 0; n < users; n++) {
    if (left === 0) {
      // 4% of homes are families sharing one phone or tablet (2–4 people); everyone else has their own.
      left = ctx.dice.chance(0.04) ? ctx.dice.int(2, 4) : 1;
      const h = household++;
      source = { deviceId: `home_${h}`, ip: `10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}` };
      family = undefined;
    }
    left--;
    // A family shares its family name (as almost every Japanese household does: one surname by law for a married
    // couple and their children).
    const own = personOf(n, phoneOf('090', n));
    const [ownHolderFamily = '', ...ownHolderGiven] = own.holderNameKana.split(' ');
    family ??= { familyName: own.familyName, familyNameKana: own.familyNameKana, holderFamily: ownHolderFamily };
    const person = {
      ...own,
      familyName: family.familyName,
      familyNameKana: family.familyNameKana,
      // The bank knows them by the same family name (half-width, as banks hold it).
      holderNameKana: [family.holderFamily, ...ownHolderGiven].join(' '),
    };
    const session = new SimSession(ctx.w, `h${n}@example.test`, person.phone, { ...source });
    const p: Honest = { n, person, session, accounts: [], links: [], balance: 0, joined: false };
    people.push(p);
    const day = Math.floor(ctx.dice.next() ** 1.5 * Math.max(1, Math.floor(ctx.days / 2)));
    const at = Math.max(ctx.start + MINUTE, tokyoHour(ctx.dice, ctx.start + day * DAY));
    ctx.agenda.at(at, () => join(ctx, p, people), 'join');
  }
  return people;
}

async function join(ctx: HonestCtx, p: Honest, people: Honest[]): Promise<void> {
  const { w, dice, config } = ctx;
  const { person } = p;
  const two = dice.chance(0.15);
  for (let i = 0; i < (two ? 2 : 1); i++) {
    // A few people keep 1234 (what a PIN spray finds); the rest any four digits.
    const pin = dice.chance(0.02) ? '1234' : String(dice.int(0, 9999)).padStart(4, '0');
    const account = await openBankAccount(w, person, dice.pick(SIM_BANKS), pin, dice.int(1, 40) * 50_000);
    p.accounts.push(account);
    if (dice.chance(0.3)) ctx.leaked.push(account);
  }
  try {
    await p.session.signup();
    await p.session.confirmPhone(dice.chance(0.02));
  } catch (e) {
    frictionFromCode(ctx, p, codeOf(e));
    return;
  }
  if (config.linkingPolicy.requireVerifiedIdentity) {
    const failed = await verifyIdentity(w, p.session, await idDocument(w, person, `1${p.n}`));
    if (failed) return frictionFromCode(ctx, p, failed);
  }
  for (const account of p.accounts) {
    const r = await linkAccount(w, p.session, account, {
      otpPhone: account.phone,
      mistypePin: dice.chance(0.03),
      mistypeOtp: dice.chance(0.02),
      stepUp: config.linkingPolicy.requireStepUp,
    });
    if (r.link) ctx.own.links.add(r.link.id);
    ctx.own.accounts.add(accountKey(account));
    if (r.link?.status === 'active') p.links.push(r.link.id);
    else if (r.code === 'in_review')
      ctx.tally.friction(p.n, 'challenged', `link:review:${r.link?.risk.reasons.map((x) => x.rule).join('+')}`);
    else if (r.code) frictionFromCode(ctx, p, r.code);
  }
  p.joined = true;
  if (p.links.length === 0) return;
  const first = dice.chance(0.02) ? 100_000 : dice.pick(FIRST_CHARGE);
  ctx.agenda.at(w.now() + dice.int(2, 60) * MINUTE, () => charge(ctx, p, first), 'charge');
  const today = Math.floor((w.now() - ctx.start) / DAY);
  ctx.agenda.at(ctx.start + (today + 1) * DAY, () => planDay(ctx, p, people, today + 1), 'plan');
}

/** One day of a joined person: maybe a purchase or two, rarely a transfer, a withdrawal, a new phone or device. */
async function planDay(ctx: HonestCtx, p: Honest, people: Honest[], day: number): Promise<void> {
  if (day >= ctx.days) return;
  const { dice, agenda } = ctx;
  const dayStart = ctx.start + day * DAY;
  if (dice.chance(0.3)) agenda.at(tokyoHour(dice, dayStart), () => pay(ctx, p, dice.int(20, 980) * 10), 'pay');
  if (dice.chance(0.03)) {
    const friend = people[dice.int(0, people.length - 1)]!;
    agenda.at(tokyoHour(dice, dayStart), () => send(ctx, p, friend, dice.int(1, 10) * 1_000), 'send');
  }
  if (dice.chance(0.005))
    agenda.at(tokyoHour(dice, dayStart), () => withdraw(ctx, p, dice.int(1, 5) * 1_000), 'withdraw');
  if (dice.chance(0.002))
    p.session.source = { ...p.session.source, deviceId: `${p.session.source.deviceId}_new${day}` };
  // A new phone number (most people carry theirs over to a new carrier; about 3 % a year do not).
  if (dice.chance(0.0001)) agenda.at(tokyoHour(dice, dayStart), () => newPhone(ctx, p), 'phone');
  agenda.at(dayStart + DAY, () => planDay(ctx, p, people, day + 1), 'plan');
}

/** A new number: a second factor on the old phone, the change (transfers and withdrawals pause for a day), the new code. */
async function newPhone(ctx: HonestCtx, p: Honest): Promise<void> {
  const next = phoneOf('080', 50_000_000 + p.n);
  if (p.session.phone === next) return;
  try {
    await p.session.stepUp();
    await p.session.as((c) => ctx.w.changePhone(c, next));
    p.session.phone = next;
    await p.session.confirmPhone();
  } catch (e) {
    frictionFromCode(ctx, p, `phone:${codeOf(e)}`);
  }
}

async function charge(ctx: HonestCtx, p: Honest, yen: number): Promise<void> {
  const link = p.links[0];
  if (!link) return;
  let o = await money(ctx, p, 'charge', link, yen);
  // A new link is capped while it cools off: the app shows what is left today, and people charge that instead.
  if (o.code === 'limit_exceeded' && yen > 10_000) {
    yen = 10_000;
    o = await money(ctx, p, 'charge', link, yen);
  }
  if (o.status === 'succeeded') p.balance += yen;
}

async function pay(ctx: HonestCtx, p: Honest, yen: number): Promise<void> {
  if (p.balance < yen) {
    await charge(ctx, p, ctx.dice.pick(TOP_UP));
    await ctx.w.advance(MINUTE);
  }
  if (p.balance < yen) return;
  const o = await money(ctx, p, 'payment', ctx.dice.pick(ctx.merchants), yen);
  if (o.status === 'succeeded') p.balance -= yen;
}

async function send(ctx: HonestCtx, p: Honest, friend: Honest, yen: number): Promise<void> {
  if (!friend.joined || friend === p || p.balance < yen) return;
  const o = await money(ctx, p, 'transfer', friend.session.userId, yen);
  if (o.status === 'succeeded') {
    p.balance -= yen;
    friend.balance += yen;
  }
}

async function withdraw(ctx: HonestCtx, p: Honest, yen: number): Promise<void> {
  const link = p.links[0];
  if (!link || p.balance < yen) return;
  const o = await money(ctx, p, 'withdrawal', link, yen);
  if (o.status === 'succeeded') p.balance -= yen;
}

/** A money step, its friction counted: a risk challenge or review, a refusal by a defence, a frozen wallet. */
async function money(ctx: HonestCtx, p: Honest, kind: MoneyKind, target: string, yen: number): Promise<MoneyOutcome> {
  const o = await moveMoney(ctx.w, p.session, kind, target, yen);
  ctx.tally.honestObjects++;
  if (o.decision === 'challenge' || o.decision === 'review')
    ctx.tally.friction(p.n, 'challenged', `${kind}:${o.decision}:${o.rules.join('+')}`);
  if (o.code) frictionFromCode(ctx, p, `${kind}:${o.code}`);
  return o;
}

function frictionFromCode(ctx: HonestCtx, p: Honest, code: string): void {
  const bare = code.slice(code.indexOf(':') + 1);
  if (bare === 'wallet_frozen' || bare === 'blocklisted') ctx.tally.friction(p.n, 'blocked', code);
  else if (bare === 'in_review') ctx.tally.friction(p.n, 'challenged', code);
  else if (
    bare.startsWith('risk_') ||
    bare.startsWith('restricted_') ||
    bare === 'name_mismatch' ||
    bare === 'security_hold' ||
    bare === 'too_many_attempts' ||
    bare.startsWith('ekyc_')
  )
    ctx.tally.friction(p.n, 'denied', code);
  else ctx.tally.frictionReasons[`other:${code}`] = (ctx.tally.frictionReasons[`other:${code}`] ?? 0) + 1;
}
