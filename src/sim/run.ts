import { sql } from 'kysely';
import { verifyLedger } from '../ledger/index.ts';
import { Campaign, recruitMules } from './attack.ts';
import type { SimConfig } from './configs.ts';
import { scheduleHonest } from './honest.ts';
import { type SimResult, Tally, sortedRecord } from './metrics.ts';
import type { BankAccount } from './people.ts';
import { createDice } from './random.ts';
import { Agenda } from './scheduler.ts';
import { type OwnLinks, type Victim, accountKey, createVictims, readNotices, readStatement } from './victims.ts';
import { DAY, HOUR, SIM_START, type SimWorld, openSimWorld } from './world.ts';

export interface SimOptions {
  config: SimConfig;
  users: number;
  victims: number;
  days: number;
  seed: number;
  /** PostgreSQL (an empty database); absent = in-process PGlite. */
  databaseUrl?: string;
  /** Called after each simulated day. */
  onProgress?: (day: number, days: number) => void;
}

/** Wall-clock time of a run (console and timing.json only: result.json stays deterministic). */
export interface SimTiming {
  totalMs: number;
  setupMs: number;
  verifyMs: number;
  byActor: Record<string, { steps: number; ms: number }>;
  /**
   * The same by kind of step (`honest:join`, `honest:pay`, `attack:drain`…), with the database statements each
   * ran and the time spent inside them.
   */
  bySteps: Record<string, StepTiming>;
  /** Every statement of the run (setup and verification included) and the time spent inside them. */
  statements: number;
  dbMs: number;
  unexpectedErrors: Record<string, number>;
}

export interface StepTiming {
  steps: number;
  ms: number;
  statements: number;
  dbMs: number;
}

/** One configuration, one seed: a whole simulated run, measured. */
export async function runSimulation(o: SimOptions): Promise<{ result: SimResult; timing: SimTiming }> {
  const t0 = performance.now();
  const dice = createDice(o.seed);
  const w = await openSimWorld(o.config, dice.fork('world'), o.databaseUrl);
  try {
    return await simulate(w, o, dice, t0);
  } finally {
    await w.close();
  }
}

async function simulate(w: SimWorld, o: SimOptions, dice: ReturnType<typeof createDice>, t0: number) {
  const start = SIM_START;
  const end = start + o.days * DAY;
  const agenda = new Agenda();
  const tally = new Tally();
  const merchants: string[] = [];
  for (let i = 0; i < 40; i++) merchants.push((await w.wallet.payments.createMerchant(`Shop ${i}`)).id);
  const fence = (await w.wallet.payments.createMerchant('Electronics resale')).id;
  const leaked: BankAccount[] = [];
  const own: OwnLinks = { links: new Set(), accounts: new Set() };
  const base = { w, config: o.config, tally, start, days: o.days };
  scheduleHonest({ ...base, dice: dice.fork('honest'), agenda, merchants, leaked, own }, o.users);
  const victims = await createVictims(w, dice.fork('victims'), o.victims, o.days, start);
  const mules = await recruitMules(w, o.config, 10);
  const holders = new Map<string, Victim>(victims.map((v) => [keyOf(v.account), v]));
  const holderDice = dice.fork('holders');
  const holderAgenda = agenda.labelled('holders');
  const attackerLinks = new Map<string, string>();
  const notices = o.config.linkingPolicy.notifyHolder;
  const onTargeted = (account: BankAccount) => {
    if (!notices) return;
    const v = holderOf(holders, account, holderDice, start);
    if (!v.readsNotices) return;
    const now = w.clock.now().getTime();
    const back = Math.max(now, v.simSwappedUntil ?? 0);
    for (const later of [v.noticeDelayMs, DAY + v.noticeDelayMs, 3 * DAY + v.noticeDelayMs])
      holderAgenda.at(back + later, async () => void (await readNotices(w, v, own)), 'notices');
  };
  // Without notices, holders find out only from their statements, once a month.
  if (!notices)
    for (const v of victims)
      for (let d = v.statementDay; d < o.days; d += 30)
        holderAgenda.at(start + d * DAY + 12 * HOUR, async () => void (await readStatement(w, v, start)), 'statement');
  const campaign = new Campaign({
    ...base,
    dice: dice.fork('attack'),
    agenda: agenda.labelled('attack'),
    attackerLinks,
    mules,
    fence,
    onTargeted,
  });
  campaign.schedule(victims, leaked);
  const setupMs = performance.now() - t0;

  const byActor: SimTiming['byActor'] = {};
  const bySteps: SimTiming['bySteps'] = {};
  const unexpectedErrors: Record<string, number> = {};
  const lossesByDay: number[] = [];
  let day = 0;
  for (let task = agenda.pop(); task && task.at < end; task = agenda.pop()) {
    while (task.at >= start + (day + 1) * DAY) {
      lossesByDay.push((await stolen(w, attackerLinks)).yen);
      day++;
      o.onProgress?.(day, o.days);
    }
    if (task.at > w.clock.now().getTime()) w.clock.set(new Date(task.at));
    const t = performance.now();
    const q0 = w.statements.count;
    const qms0 = w.statements.ms;
    try {
      await task.run();
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e instanceof Error ? e.message.slice(0, 80) : String(e));
      unexpectedErrors[code] = (unexpectedErrors[code] ?? 0) + 1;
    }
    byActor[task.label] ??= { steps: 0, ms: 0 };
    const a = byActor[task.label]!;
    const ms = performance.now() - t;
    a.steps++;
    a.ms += ms;
    const key = `${task.label}:${task.kind}`;
    bySteps[key] ??= { steps: 0, ms: 0, statements: 0, dbMs: 0 };
    const k = bySteps[key]!;
    k.steps++;
    k.ms += ms;
    k.statements += w.statements.count - q0;
    k.dbMs += w.statements.ms - qms0;
  }
  while (day < o.days) {
    lossesByDay.push((await stolen(w, attackerLinks)).yen);
    day++;
    o.onProgress?.(day, o.days);
  }
  const tv = performance.now();
  const ledgerVerified = (await verifyLedger(w.db)).length === 0;
  const verifyMs = performance.now() - tv;
  const loss = await stolen(w, attackerLinks);
  const cases = await w.db.selectFrom('cases').select(['kind']).execute();
  const casesByKind: Record<string, number> = {};
  for (const c of cases) casesByKind[c.kind] = (casesByKind[c.kind] ?? 0) + 1;
  const result: SimResult = {
    config: o.config.name,
    description: o.config.description,
    seed: o.seed,
    days: o.days,
    users: o.users,
    victims: o.victims,
    stolenYen: loss.yen,
    cashedOutYen: await cashedOut(w),
    victimsHit: loss.accounts,
    lossesByDay,
    attackerWallets: await countAttackerWallets(w),
    attackSteps: tally.attackSteps,
    stopsByLayer: tally.stops,
    stopsByCode: sortedRecord(tally.stopsByCode),
    firstDetectionHours:
      tally.firstStopAt === undefined || tally.firstStepAt === undefined
        ? null
        : Math.round(((tally.firstStopAt - tally.firstStepAt) / HOUR) * 10) / 10,
    honestUsers: o.users,
    honestMoneyObjects: tally.honestObjects,
    honestChallenged: tally.challenged.size,
    honestDenied: tally.denied.size,
    honestBlocked: tally.blocked.size,
    honestFrictionReasons: sortedRecord(tally.frictionReasons),
    casesOpened: cases.length,
    casesByKind: sortedRecord(casesByKind),
    ledgerVerified,
  };
  const timing: SimTiming = {
    totalMs: Math.round(performance.now() - t0),
    setupMs: Math.round(setupMs),
    verifyMs: Math.round(verifyMs),
    byActor: Object.fromEntries(Object.entries(byActor).map(([k, v]) => [k, { steps: v.steps, ms: Math.round(v.ms) }])),
    bySteps: Object.fromEntries(
      Object.entries(bySteps)
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([k, v]) => [
          k,
          { steps: v.steps, ms: Math.round(v.ms), statements: v.statements, dbMs: Math.round(v.dbMs) },
        ]),
    ),
    statements: w.statements.count,
    dbMs: Math.round(w.statements.ms),
    unexpectedErrors,
  };
  return { result, timing };
}

const keyOf = accountKey;

/** A holder the criminals touched who was not on the phished list (a PIN spray's find): they read notices too. */
function holderOf(
  holders: Map<string, Victim>,
  account: BankAccount,
  dice: ReturnType<typeof createDice>,
  start: number,
) {
  let v = holders.get(keyOf(account));
  if (!v) {
    v = {
      n: -1,
      account,
      phishedAt: start,
      readsNotices: dice.chance(0.9),
      noticeDelayMs: dice.delay(4 * 3_600_000),
      statementDay: dice.int(0, 29),
      lastRead: start,
      reports: 0,
      reported: new Set(),
    };
    holders.set(keyOf(account), v);
  }
  return v;
}

/** Ground truth, for measuring only: what left victims' accounts through the criminals' links. */
async function stolen(w: SimWorld, links: Map<string, string>): Promise<{ yen: number; accounts: number }> {
  if (links.size === 0) return { yen: 0, accounts: 0 };
  const rows = await w.db
    .selectFrom('charges')
    .select(['bank_link_id', 'amount'])
    .where('status', '=', 'succeeded')
    .where('bank_link_id', 'in', [...links.keys()])
    .execute();
  const accounts = new Set(rows.map((r) => links.get(r.bank_link_id)));
  return { yen: rows.reduce((s, r) => s + Number(r.amount), 0), accounts: accounts.size };
}

/** Ground truth, for measuring only: what the criminals' wallets moved out of reach (they sign up as drop…@). */
async function cashedOut(w: SimWorld): Promise<number> {
  const drops = w.db.selectFrom('users').select('id').where('email', 'like', 'drop%');
  const mules = w.db.selectFrom('users').select('id').where('email', 'like', 'mule%');
  const yen = sql<number>`coalesce(sum(amount), 0)::int8`.as('yen');
  const [withdrawn, paid, sent] = await Promise.all(
    [
      w.db.selectFrom('withdrawals').select(yen).where('status', '=', 'succeeded').where('user_id', 'in', drops),
      w.db.selectFrom('payments').select(yen).where('status', '=', 'succeeded').where('user_id', 'in', drops),
      w.db
        .selectFrom('wallet_transfers')
        .select(yen)
        .where('status', '=', 'succeeded')
        .where('from_user_id', 'in', drops)
        .where('to_user_id', 'in', mules),
    ].map((q) => q.executeTakeFirstOrThrow()),
  );
  return Number(withdrawn!.yen) + Number(paid!.yen) + Number(sent!.yen);
}

async function countAttackerWallets(w: SimWorld): Promise<number> {
  const r = await w.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('email', 'like', 'drop%')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
