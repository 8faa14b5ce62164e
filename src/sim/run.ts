import { openDatabase } from '../db/index.ts';
import { type SimApi, SimTargetError } from './api.ts';
import { Campaign, recruitMules } from './attack.ts';
import type { SimConfig } from './configs.ts';
import { scheduleHonest } from './honest.ts';
import { httpApi } from './http-api.ts';
import { inProcessApi } from './in-process.ts';
import { type SimResult, Tally, sortedRecord } from './metrics.ts';
import type { BankAccount } from './people.ts';
import { createDice } from './random.ts';
import { Agenda } from './scheduler.ts';
import { SIM_PASSWORD } from './session.ts';
import { type GroundTruth, type Observed, bankTruth, databaseTruth, newObserved } from './truth.ts';
import { type OwnLinks, type Victim, accountKey, createVictims, readNotices, readStatement } from './victims.ts';
import { DAY, HOUR, SIM_START, openSimWorld } from './world.ts';

export interface SimOptions {
  config: SimConfig;
  users: number;
  victims: number;
  days: number;
  seed: number;
  /**
   * PostgreSQL: in-process, the (empty) database Saifu runs on; with `target`, the running server's database, read
   * for the measurements only. Absent = in-process PGlite.
   */
  databaseUrl?: string;
  /** A running Saifu server (`SAIFU_SANDBOX_CLOCK=1`, `SAIFU_TRUST_PROXY=1`) to drive over HTTP instead. */
  target?: string;
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

/** Where a run happens: the API the people use, what the measurements read, the statements Saifu ran. */
interface Arena {
  api: SimApi;
  truth: GroundTruth;
  /** The simulated time the run starts at (00:00 UTC, 09:00 in Tokyo). */
  start: number;
  statements: { count: number; ms: number };
  close(): Promise<void>;
}

/** One configuration, one seed: a whole simulated run, measured. */
export async function runSimulation(o: SimOptions): Promise<{ result: SimResult; timing: SimTiming }> {
  const t0 = performance.now();
  const dice = createDice(o.seed);
  const seen = newObserved();
  const arena = o.target ? await targetArena(o.target, o.databaseUrl, seen) : await inProcessArena(o, dice, seen);
  try {
    return await simulate(arena, o, dice, t0, seen);
  } catch (e) {
    // A target that stopped answering fails whatever step came next (moving the clock, setting up): say so.
    const broken = arena.api.broken();
    if (broken && !(e instanceof SimTargetError)) throw new SimTargetError(`--target ${broken}; the run stops here`);
    throw e;
  } finally {
    await arena.close();
  }
}

async function inProcessArena(o: SimOptions, dice: ReturnType<typeof createDice>, seen: Observed): Promise<Arena> {
  const w = await openSimWorld(o.config, dice.fork('world'), o.databaseUrl);
  return {
    api: inProcessApi(w),
    truth: databaseTruth(w.db, seen),
    start: SIM_START,
    statements: w.statements,
    close: () => w.close(),
  };
}

/**
 * A running server: its clock moved to the next 00:00 UTC, its people new to it (a server that already knows the
 * simulator's mules ran a simulation before: the people would collide), measured from its database when given.
 */
async function targetArena(target: string, databaseUrl: string | undefined, seen: Observed): Promise<Arena> {
  const api = await httpApi(target);
  const known = await api.login('mule0@mail.test', SIM_PASSWORD, { deviceId: 'sim_probe', ip: '192.0.2.250' }).then(
    () => true,
    () => false,
  );
  if (known)
    throw new SimTargetError(
      `--target ${target}: the server already holds a simulation's people; start it on an empty database`,
    );
  const start = Math.ceil(api.now() / DAY) * DAY;
  await api.setClock(start);
  const database = databaseUrl ? await openDatabase({ url: databaseUrl }) : undefined;
  return {
    api,
    truth: database ? databaseTruth(database.db, seen) : bankTruth(api, seen),
    start,
    statements: { count: 0, ms: 0 },
    close: async () => database?.close(),
  };
}

async function simulate(arena: Arena, o: SimOptions, dice: ReturnType<typeof createDice>, t0: number, seen: Observed) {
  const { api: w, truth } = arena;
  const start = arena.start;
  const end = start + o.days * DAY;
  const agenda = new Agenda();
  const tally = new Tally();
  const merchants: string[] = [];
  for (let i = 0; i < 40; i++) merchants.push((await w.createMerchant(`Shop ${i}`)).id);
  const fence = (await w.createMerchant('Electronics resale')).id;
  const leaked: BankAccount[] = [];
  const own: OwnLinks = { links: new Set(), accounts: new Set() };
  const base = { w, config: o.config, tally, start, days: o.days };
  scheduleHonest({ ...base, dice: dice.fork('honest'), agenda, merchants, leaked, own }, o.users);
  const victims = await createVictims(w, dice.fork('victims'), o.victims, o.days, start);
  const mules = await recruitMules(w, o.config, 10);
  const holders = new Map<string, Victim>(victims.map((v) => [keyOf(v.account), v]));
  const holderDice = dice.fork('holders');
  const holderAgenda = agenda.labelled('holders');
  const notices = o.config.linkingPolicy.notifyHolder;
  const onTargeted = (account: BankAccount) => {
    if (!notices) return;
    const v = holderOf(holders, account, holderDice, start);
    if (!v.readsNotices) return;
    const now = w.now();
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
    seen,
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
      lossesByDay.push((await truth.stolen()).yen);
      day++;
      o.onProgress?.(day, o.days);
    }
    await w.setClock(task.at);
    const t = performance.now();
    const q0 = arena.statements.count;
    const qms0 = arena.statements.ms;
    try {
      await task.run();
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e instanceof Error ? e.message.slice(0, 80) : String(e));
      unexpectedErrors[code] = (unexpectedErrors[code] ?? 0) + 1;
    }
    const broken = w.broken();
    if (broken) throw new SimTargetError(`--target ${broken} on simulated day ${day + 1}; the run stops here`);
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
    k.statements += arena.statements.count - q0;
    k.dbMs += arena.statements.ms - qms0;
  }
  while (day < o.days) {
    lossesByDay.push((await truth.stolen()).yen);
    day++;
    o.onProgress?.(day, o.days);
  }
  const tv = performance.now();
  const ledgerVerified = await truth.ledgerVerified();
  const verifyMs = performance.now() - tv;
  const loss = await truth.stolen();
  const cases = await truth.cases();
  const result: SimResult = {
    config: o.config.name,
    description: o.config.description,
    seed: o.seed,
    days: o.days,
    users: o.users,
    victims: o.victims,
    stolenYen: loss.yen,
    cashedOutYen: await truth.cashedOut(),
    victimsHit: loss.accounts,
    lossesByDay,
    attackerWallets: seen.attackerWallets,
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
    casesOpened: cases ? Object.values(cases).reduce((a, b) => a + b, 0) : null,
    casesByKind: cases ? sortedRecord(cases) : null,
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
    statements: arena.statements.count,
    dbMs: Math.round(arena.statements.ms),
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
