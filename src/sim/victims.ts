import type { BankAccount } from './people.ts';
import { codeOf } from './session.ts';
import { openBankAccount, personOf, phoneOf } from './people.ts';
import type { Dice } from './random.ts';
import { DAY, HOUR, SIM_BANKS } from './world.ts';
import type { SimApi } from './api.ts';

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
  /** What the holder already reported (by reference): each thing once. */
  reported: Set<string>;
}

/** Ground truth a holder has about themselves: the links honest people made, and the accounts they linked. */
export interface OwnLinks {
  links: Set<string>;
  accounts: Set<string>;
}

export const accountKey = (a: { bankCode: string; accountNumber: string }) => `${a.bankCode}-${a.accountNumber}`;

export async function createVictims(w: SimApi, dice: Dice, count: number, days: number, start: number) {
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
      reported: new Set(),
    });
  }
  return victims;
}

/** The link a bank notice is about (`連携ID lnk_…` in its text); undefined for notices about debits and locks. */
const LINK_REFERENCE = /連携ID (\S+?)\)/;

/**
 * What a holder does on reading the bank's notices (a link, a failed authentication, a debit they did not make):
 * "this wasn't me" about each thing they did not do, naming it by the reference the notice shows, through the
 * case flow. `own` holds the links the holder made themselves (a person knows what they did); a holder with a
 * link of their own takes debits for theirs, one without reports each debit by its statement reference. Returns
 * whether they reported.
 */
export async function readNotices(w: SimApi, v: Victim, own: OwnLinks): Promise<boolean> {
  const now = w.now();
  if (v.simSwappedUntil !== undefined && now < v.simSwappedUntil) return false;
  const fresh = (await w.messagesTo(v.account.phone)).filter(
    (m) => m.channel === 'bank_notice' && Date.parse(m.createdAt) > v.lastRead,
  );
  const since = v.lastRead;
  v.lastRead = now;
  const references = new Set<string>();
  let debits = false;
  for (const m of fresh) {
    const link = LINK_REFERENCE.exec(m.body)?.[1];
    if (link) {
      if (!own.links.has(link)) references.add(link);
    } else if (m.body.includes('出金しました')) debits = true;
  }
  if (debits && !own.accounts.has(accountKey(v.account)))
    for (const line of await w.statement(v.account))
      if (Date.parse(line.createdAt) > since && line.amount < 0) references.add(line.reference);
  let reported = false;
  for (const reference of references) {
    if (v.reported.has(reference)) continue;
    v.reported.add(reference);
    await report(w, v, reference);
    reported = true;
  }
  return reported;
}

/** The 2020 holder: no notices; on the statement, large Saifu debits are noticed and reported, small ones are not. */
export async function readStatement(w: SimApi, v: Victim, since: number): Promise<boolean> {
  const lines = await w.statement(v.account);
  const large = lines.filter((l) => Date.parse(l.createdAt) > since && l.amount <= -50_000);
  if (large.length === 0) return false;
  await report(w, v);
  return true;
}

async function report(w: SimApi, v: Victim, reference?: string): Promise<void> {
  try {
    await w.reportUnauthorized(v.account, reference);
    v.reports++;
  } catch (e) {
    // Someone with two accounts gets both accounts' notices on one phone: a link on their other account is not
    // found on this one, and is reported there (by that account's reading of the same notices).
    if (codeOf(e) !== 'not_found') throw e;
  }
}
