import type { BankAccount } from './people.ts';
import { openBankAccount, personOf, phoneOf } from './people.ts';
import type { Dice } from './random.ts';
import { DAY, HOUR, SIM_BANKS, type SimWorld } from './world.ts';

/** A bank-account holder whose account number, PIN, birth date and name were phished. Most have no wallet. */
export interface Victim {
  n: number;
  account: BankAccount;
  /** When the criminals have the data (phishing runs through the campaign). */
  phishedAt: number;
  /** When the holder reads their phone's notices: a delay after each notice; never for some. */
  readsNotices: boolean;
  noticeDelayMs: number;
  /** Without notices, when the holder looks at their statement (then every 30 days). */
  statementDay: number;
  /** The SIM swap's victim gets their line back only after this long. */
  simSwappedUntil?: number;
  lastRead: number;
  reports: number;
}

export async function createVictims(w: SimWorld, dice: Dice, count: number, days: number, start: number) {
  const victims: Victim[] = [];
  const spread = Math.max(1, Math.floor(days * 0.6));
  for (let n = 0; n < count; n++) {
    const person = personOf(100_000 + n, phoneOf('080', n));
    const account = await openBankAccount(
      w,
      person,
      dice.pick(SIM_BANKS),
      String(dice.int(0, 9999)).padStart(4, '0'),
      dice.int(3, 30) * 100_000,
    );
    victims.push({
      n,
      account,
      phishedAt: start + Math.floor((n * spread) / Math.max(1, count)) * DAY + dice.int(8, 20) * HOUR,
      readsNotices: dice.chance(0.9),
      noticeDelayMs: dice.delay(4 * HOUR),
      statementDay: dice.int(0, 29),
      lastRead: start,
      reports: 0,
    });
  }
  return victims;
}

/**
 * What a holder does on reading the bank's notices (a link, a failed authentication, a debit they did not make):
 * "this wasn't me", through the case flow. Returns whether they reported.
 */
export async function readNotices(w: SimWorld, v: Victim): Promise<boolean> {
  const now = w.clock.now().getTime();
  if (v.simSwappedUntil !== undefined && now < v.simSwappedUntil) return false;
  const fresh = (await w.sandbox.mailbox.messagesTo(v.account.phone)).filter(
    (m) => m.channel === 'bank_notice' && Date.parse(m.createdAt) > v.lastRead,
  );
  v.lastRead = now;
  if (fresh.length === 0) return false;
  await report(w, v);
  return true;
}

/** The 2020 holder: no notices; on the statement, large Saifu debits are noticed and reported, small ones are not. */
export async function readStatement(w: SimWorld, v: Victim, since: number): Promise<boolean> {
  const lines = await w.sandbox.bank.statement(v.account);
  const large = lines.filter((l) => Date.parse(l.createdAt) > since && l.amount <= -50_000);
  if (large.length === 0) return false;
  await report(w, v);
  return true;
}

async function report(w: SimWorld, v: Victim): Promise<void> {
  v.reports++;
  await w.cases.reportUnauthorized(v.account);
}
