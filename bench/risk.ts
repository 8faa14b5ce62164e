/**
 * The risk section of `npm run bench` (also `node --import tsx bench/risk.ts` alone, or BENCH_ONLY=risk):
 * (a) 1,000,000 stored events generated in SQL (INSERT … SELECT over generate_series, the event and signals as the
 *     store writes them) into risk_events on a scratch PostgreSQL database, and 1,000,000 events assessed through
 *     the in-process counters (many users, devices, IPs and payees; the resident memory reported);
 * (b) one full `assess` (counters recorded and read, lists, the default pack decided) in-process, p50/p99/max over
 *     BENCH_RISK_MEASURED events on top of that history, the pure `decide` alone, and storing an assessment
 *     (its INSERT into the 1,000,000-row risk_events) — against the target: one decision p99 ≤ 2 ms;
 * (c) the same `assess` on Redis counters (SAIFU_REDIS_URL or 127.0.0.1:6379, skipped if unreachable), after
 *     BENCH_RISK_REDIS_EVENTS events, on a key prefix of its own that is deleted afterwards.
 * A decision makes no database round trip: the stored events are what back-tests and reviews read, not what a
 * decision reads; (a) stores them so the INSERT is measured on a table of that size.
 * Env: BENCH_RISK_STORED (1000000), BENCH_RISK_EVENTS (1000000), BENCH_RISK_MEASURED (100000),
 * BENCH_RISK_DECISIONS (200000), BENCH_RISK_REDIS_EVENTS (100000), BENCH_RISK_REDIS_MEASURED (10000),
 * BENCH_RISK_INSERTS (2000).
 */
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { createAssessor } from '../src/risk/assess.ts';
import { type Counters, memoryCounters } from '../src/risk/counters.ts';
import { decide } from '../src/risk/decide.ts';
import { defaultRuleSet } from '../src/risk/engine.ts';
import { createListIndex } from '../src/risk/lists.ts';
import { redisCounters } from '../src/risk/redis-counters.ts';
import { type Assessment, assessmentStatements } from '../src/risk/store.ts';
import { type RiskEvent, type RiskEventType, type Signals, riskEvent, signalsOf } from '../src/risk/vocabulary.ts';
import { ulidIds } from '../src/platform/ids.ts';
import { percentile, round } from './measure.ts';
import { type Cell, printTable } from './report.ts';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return Math.floor(v);
};
const STORED = num('BENCH_RISK_STORED', 1_000_000);
const EVENTS = num('BENCH_RISK_EVENTS', 1_000_000);
const MEASURED = num('BENCH_RISK_MEASURED', 100_000);
const DECISIONS = num('BENCH_RISK_DECISIONS', 200_000);
const REDIS_EVENTS = num('BENCH_RISK_REDIS_EVENTS', 100_000);
const REDIS_MEASURED = num('BENCH_RISK_REDIS_MEASURED', 10_000);
const INSERTS = num('BENCH_RISK_INSERTS', 2_000);
/** The target (docs/product.md §5): one decision p99 ≤ 2 ms in-process with 1,000,000 stored events. */
export const DECISION_P99_TARGET_MS = 2;

/** A population with the shape of production traffic: many users, a few devices and IPs each, shared IPs, payees. */
const USERS = 200_000;
const DEVICES = 260_000;
const IPS = 60_000;
const MERCHANTS = 5_000;
/** Simulated time: the history spreads over 30 days, so every window (1 min … 30 d) holds something. */
const START = Date.UTC(2026, 9, 1);
const SPAN_MS = 30 * 86_400_000;

const MIX: Array<[RiskEventType, number]> = [
  ['payment', 0.55],
  ['charge', 0.2],
  ['transfer', 0.1],
  ['login', 0.08],
  ['withdrawal', 0.04],
  ['link', 0.02],
  ['password_change', 0.005],
  ['phone_change', 0.005],
];

/** Deterministic pseudo-random (mulberry32): the same events every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function eventSource(seed: number) {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  return (): { event: RiskEvent; known: Partial<Signals> } => {
    // Skewed toward a hot minority of users, as real traffic is.
    const user = r() < 0.3 ? pick(USERS / 100) : pick(USERS);
    const x = r();
    let acc = 0;
    let type: RiskEventType = 'payment';
    for (const [t, share] of MIX) {
      acc += share;
      if (x < acc) {
        type = t;
        break;
      }
    }
    const money = type === 'payment' || type === 'charge' || type === 'transfer' || type === 'withdrawal';
    const payee = type === 'payment' ? `mer_${pick(MERCHANTS)}` : type === 'transfer' ? `usr_${pick(USERS)}` : '';
    return {
      event: riskEvent({
        type,
        amount: money ? 100 + pick(r() < 0.95 ? 20_000 : 200_000) : 0,
        userId: `usr_${user}`,
        deviceId: r() < 0.97 ? `dev_${(user * 13 + (r() < 0.9 ? 0 : pick(DEVICES))) % DEVICES}` : '',
        ip: `10.${(user >> 8) % 256}.${user % 256}.${r() < 0.8 ? 1 : pick(IPS) % 256}`,
        linkId: type === 'charge' || type === 'withdrawal' || type === 'link' ? `lnk_${user}` : '',
        recipientId: payee,
        recipientKind: type === 'payment' ? 'merchant' : type === 'transfer' ? 'person' : '',
        bankAccount: type === 'charge' || type === 'withdrawal' || type === 'link' ? `0005-001-${user}` : '',
        email: `user${user}@example.test`,
        phone: `070${String(user).padStart(8, '0')}`,
      }),
      known: {
        accountAgeHours: (user % 5_000) * 1.7,
        verification: user % 10 === 0 ? 'unverified' : 'verified',
        ...(type === 'charge' || type === 'withdrawal' ? { linkAgeHours: (user % 700) * 1.3 } : {}),
        ...(money ? { limitRatio: r() * 0.6 } : {}),
      },
    };
  };
}

/** A clock the bench moves: each event one step further through the simulated 30 days. */
function steppingClock(stepMs: number) {
  let ms = START;
  return {
    now: () => new Date(ms),
    step() {
      ms += stepMs;
    },
  };
}

function assessorOver(counters: Counters, clock: { now(): Date }) {
  const pack = defaultRuleSet();
  return createAssessor({
    clock,
    counters,
    newId: ulidIds(),
    decide: (event, signals, at) => decide(event, signals, pack, at),
    shadow: () => undefined,
    lists: createListIndex(),
  });
}

const ms3 = (x: number) => round(x, 3);
function stats(times: Float64Array | number[]) {
  const sorted = Array.from(times).sort((a, b) => a - b);
  return {
    p50: ms3(percentile(sorted, 50)),
    p99: ms3(percentile(sorted, 99)),
    max: ms3(sorted[sorted.length - 1] ?? 0),
  };
}
const mib = (bytes: number) => Math.round(bytes / 1_048_576);

/** (b) the pure decision: the default pack over a mix of quiet and suspicious signals. */
function decisionBench() {
  const pack = defaultRuleSet();
  const inputs = Array.from({ length: 256 }, (_, i) => ({
    event: riskEvent({
      type: (['charge', 'payment', 'transfer', 'withdrawal', 'link'] as const)[i % 5] ?? 'charge',
      amount: 1_000 + ((i * 7919) % 120_000),
      recipientKind: i % 3 === 0 ? 'person' : 'merchant',
    }),
    signals: signalsOf({
      linkAgeHours: i % 48,
      limitRatio: (i % 10) / 10,
      userCharges24h: i % 5,
      userChargeSum24h: (i % 7) * 20_000,
      minutesSinceLastCharge: i % 60,
      lastChargeAmount: (i % 4) * 30_000,
      walletsPerDevice30d: 1 + (i % 5),
      recipientNewPayers24h: i % 8,
    }),
    at: new Date(Date.UTC(2026, 10, 10, i % 24)),
  }));
  const times = new Float64Array(DECISIONS);
  for (let i = 0; i < DECISIONS; i++) {
    const x = inputs[i & 255]!;
    const s = performance.now();
    decide(x.event, x.signals, pack, x.at);
    times[i] = performance.now() - s;
  }
  return { rules: pack.rules.length, ...stats(times.subarray(Math.floor(DECISIONS / 10))) };
}

/** (a) + (b) in-process: EVENTS assessed as history (timed as a whole), then MEASURED assessed one by one. */
async function inProcessBench(progress: (what: string) => void) {
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const counters = memoryCounters();
  const clock = steppingClock(SPAN_MS / Math.max(1, EVENTS + MEASURED));
  const assessor = assessorOver(counters, clock);
  const next = eventSource(1);
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const { event, known } = next();
    await assessor.assess(event, known);
    clock.step();
    if (i > 0 && i % 250_000 === 0)
      progress(`risk: ${i.toLocaleString('en-US')} events counted, RSS ${mib(process.memoryUsage().rss)} MiB`);
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  const times = new Float64Array(MEASURED);
  const decisions = { allow: 0, challenge: 0, review: 0, deny: 0 };
  const cpu = new Float64Array(MEASURED);
  for (let i = 0; i < MEASURED; i++) {
    const { event, known } = next();
    const c = process.cpuUsage();
    const s = performance.now();
    const a = await assessor.assess(event, known);
    times[i] = performance.now() - s;
    const used = process.cpuUsage(c);
    cpu[i] = (used.user + used.system) / 1000;
    decisions[a.decision]++;
    clock.step();
  }
  global.gc?.();
  const mem = process.memoryUsage();
  // The counters stay reachable until measured (else the collector may take them first).
  await counters.read('user:0:payment', clock.now());
  return {
    loadSeconds: round(loadSeconds, 1),
    perSecond: Math.round(EVENTS / loadSeconds),
    rssMiB: mib(mem.rss),
    rssGrowthMiB: mib(mem.rss - rssBefore),
    heapMiB: mib(mem.heapUsed),
    decisions,
    ...stats(times),
    cpuP99: stats(cpu).p99,
  };
}

/** (a) STORED events in risk_events, generated in SQL: one INSERT … SELECT over generate_series. */
async function storedEventsBench() {
  const { scratchDatabase } = await import('./setup.ts');
  const database = await scratchDatabase('postgres', 4);
  try {
    const db = database.db;
    const t0 = performance.now();
    await sql`
      INSERT INTO risk_events (id, type, user_id, object_id, amount, occurred_at, event, signals, decision, score,
                               reasons, rule_set_version, enforced, label)
      SELECT 'rev_bench' || lpad(g::text, 8, '0'), x.type, 'usr_' || u, x.object_id, x.amount,
             ${new Date(START).toISOString()}::timestamptz + (g * ${SPAN_MS / Math.max(1, STORED)}) * interval '1 millisecond',
             json_build_object('type', x.type, 'amount', x.amount, 'userId', 'usr_' || u,
               'deviceId', 'dev_' || (u * 13 % ${DEVICES}), 'ip', '10.' || (u / 256 % 256) || '.' || (u % 256) || '.1',
               'linkId', CASE WHEN x.type = 'charge' THEN 'lnk_' || u ELSE '' END,
               'recipientId', CASE WHEN x.type = 'payment' THEN 'mer_' || (g % ${MERCHANTS}) ELSE '' END,
               'recipientKind', CASE WHEN x.type = 'payment' THEN 'merchant' ELSE '' END,
               'bankAccount', CASE WHEN x.type = 'charge' THEN '0005-001-' || u ELSE '' END,
               'email', 'user' || u || '@example.test', 'phone', '070' || lpad(u::text, 8, '0'))::text,
             json_build_object('accountAgeHours', (u % 5000) * 1.7, 'linkAgeHours', 1000000, 'lastLinkAgeHours', 1000000,
               'phoneChangeAgeHours', 1000000, 'passwordChangeAgeHours', 1000000, 'deviceAgeHours', g % 2000,
               'verification', 'verified', 'nameMatchScore', 100, 'limitRatio', (g % 60) / 100.0,
               'userCharges1h', g % 2, 'userCharges24h', g % 4, 'userChargeSum24h', (g % 4) * 5000,
               'userMaxAmount30d', (g % 30) * 1000, 'minutesSinceLastCharge', g % 5000, 'lastChargeAmount', (g % 7) * 1000,
               'walletsPerDevice30d', 1 + (g % 50 = 0)::int, 'walletsPerIp24h', 1 + (g % 3), 'identitiesPerDevice30d', 1,
               'walletsPerBankAccount', 1, 'pinFailuresPerPinValue1h', 0, 'pinFailureAccountsPerDevice1h', 0,
               'firstPaymentToPayee', g % 9 = 0, 'recipientNewPayers24h', g % 3, 'tokyoHour', g % 24,
               'pinFailuresPerAccount1h', 0, 'blocklisted', false, 'allowlisted', false, 'watchlisted', false)::text,
             x.decision, x.score,
             CASE WHEN x.decision = 'allow' THEN '[]'
                  ELSE '[{"rule":"first_payment_large","action":"' || x.decision || '","score":40,"message":"a first payment to this payee, larger than usual"}]' END,
             0, true,
             CASE WHEN g % 500 = 0 THEN 'not_fraud' WHEN g % 2003 = 0 THEN 'fraud' END
      FROM generate_series(1, ${STORED}::bigint) AS g,
           LATERAL (SELECT (CASE WHEN g % 10 < 3 THEN g % 2000 ELSE (g * 7919) % ${USERS} END) AS u) AS uu,
           LATERAL (SELECT CASE WHEN g % 20 < 11 THEN 'payment' WHEN g % 20 < 15 THEN 'charge'
                                WHEN g % 20 < 17 THEN 'transfer' WHEN g % 20 < 19 THEN 'login' ELSE 'withdrawal' END AS type,
                           CASE WHEN g % 20 < 19 THEN 'pay_bench' || g END AS object_id,
                           CASE WHEN g % 20 BETWEEN 17 AND 18 THEN 0 ELSE 100 + (g * 31) % 20000 END AS amount,
                           CASE WHEN g % 97 = 0 THEN 'challenge' WHEN g % 1009 = 0 THEN 'review'
                                WHEN g % 4001 = 0 THEN 'deny' ELSE 'allow' END AS decision,
                           CASE WHEN g % 97 = 0 THEN 40 WHEN g % 1009 = 0 THEN 60 WHEN g % 4001 = 0 THEN 100 ELSE 0 END AS score) AS x
    `.execute(db);
    const loadSeconds = (performance.now() - t0) / 1000;
    await sql`ANALYZE risk_events`.execute(db);
    const size = await sql<{ rows: string; bytes: string; avg: string }>`
      SELECT (SELECT count(*) FROM risk_events)::text AS rows,
             pg_total_relation_size('risk_events')::text AS bytes,
             (SELECT avg(length(event) + length(signals))::int FROM risk_events WHERE seq % 1000 = 0)::text AS avg
    `.execute(db);
    // Storing an assessment on that table: the INSERT the payment statement carries, alone (no money moved).
    const counters = memoryCounters();
    const clock = steppingClock(1_000);
    const assessor = assessorOver(counters, clock);
    const next = eventSource(7);
    const newId = ulidIds();
    const times: number[] = [];
    let jsonBytes = 0;
    for (let i = 0; i < INSERTS; i++) {
      const { event, known } = next();
      const a: Assessment = await assessor.assess(event, known);
      jsonBytes += JSON.stringify(a.event).length + JSON.stringify(a.signals).length;
      const [insert] = assessmentStatements(db, { ...a, restrictions: [] }, `pay_x${i}`, newId);
      const s = performance.now();
      await db.executeQuery(insert!.compile());
      times.push(performance.now() - s);
      clock.step();
    }
    const row = size.rows[0];
    return {
      loadSeconds: round(loadSeconds, 1),
      rows: Number(row?.rows ?? 0),
      tableMiB: mib(Number(row?.bytes ?? 0)),
      storedJsonBytes: Number(row?.avg ?? 0),
      appJsonBytes: Math.round(jsonBytes / Math.max(1, INSERTS)),
      insert: stats(times),
    };
  } finally {
    await database.close();
  }
}

/** (c) the same assessor on Redis counters, on a key prefix of its own (deleted afterwards). */
async function redisBench(url: string) {
  const prefix = `saifu:bench:${process.pid}:${Date.now()}:`;
  const counters = redisCounters(url, { prefix });
  try {
    const clock = steppingClock(SPAN_MS / Math.max(1, REDIS_EVENTS + REDIS_MEASURED));
    const assessor = assessorOver(counters, clock);
    const next = eventSource(3);
    const t0 = performance.now();
    // History: 32 assessments in flight at a time (as many requests would be).
    for (let i = 0; i < REDIS_EVENTS; i += 32) {
      const batch: Array<Promise<unknown>> = [];
      for (let j = 0; j < 32 && i + j < REDIS_EVENTS; j++) {
        const { event, known } = next();
        batch.push(assessor.assess(event, known));
        clock.step();
      }
      await Promise.all(batch);
    }
    const loadSeconds = (performance.now() - t0) / 1000;
    const times = new Float64Array(REDIS_MEASURED);
    for (let i = 0; i < REDIS_MEASURED; i++) {
      const { event, known } = next();
      const s = performance.now();
      await assessor.assess(event, known);
      times[i] = performance.now() - s;
      clock.step();
    }
    return { loadSeconds: round(loadSeconds, 1), perSecond: Math.round(REDIS_EVENTS / loadSeconds), ...stats(times) };
  } finally {
    await counters.close();
    await deleteByPrefix(url, prefix).catch((e: unknown) => console.error(`could not delete ${prefix}*: ${String(e)}`));
  }
}

async function deleteByPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

async function redisUrlIfReachable(): Promise<string | undefined> {
  const url = process.env.SAIFU_REDIS_URL || 'redis://127.0.0.1:6379';
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  try {
    await r.connect();
    await r.ping();
    return url;
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

export interface RiskBenchResult {
  /** The in-process assess p99 (ms): the figure the 2 ms target is about. */
  assessP99: number;
  storedRows: number;
  problems: string[];
  /** Prints the section's table and notes. */
  print(): void;
}

/**
 * Runs the risk section; `progress` reports each step (stderr); `postgres` false skips the stored events (PGlite-only
 * runs). The table is printed by `print()`, so `npm run bench` can put it with its other tables.
 */
export async function riskBench(
  progress: (what: string) => void = () => {},
  o: { postgres?: boolean } = {},
): Promise<RiskBenchResult> {
  const rows: Cell[][] = [];
  const notes: string[] = [];
  const problems: string[] = [];

  let stored: Awaited<ReturnType<typeof storedEventsBench>> | undefined;
  if (STORED > 0 && o.postgres !== false && (await (await import('./setup.ts')).postgresVersion())) {
    progress(`risk: ${STORED.toLocaleString('en-US')} stored events into risk_events (PostgreSQL, INSERT … SELECT)`);
    stored = await storedEventsBench();
    notes.push(
      `stored events: ${stored.rows.toLocaleString('en-US')} rows in risk_events loaded in ${stored.loadSeconds} s (one INSERT … SELECT), table + indexes ${stored.tableMiB.toLocaleString('en-US')} MiB, event + signals JSON ${stored.storedJsonBytes} bytes a row generated (${stored.appJsonBytes} as the app writes it)`,
    );
  } else notes.push('stored events: PostgreSQL not reachable (or BENCH_RISK_STORED=0), none stored');

  progress('risk: pure decide');
  const d = decisionBench();
  rows.push([
    `decide (default pack, ${d.rules} rules), no counters`,
    'in-process',
    DECISIONS,
    d.p50,
    d.p99,
    d.max,
    undefined,
    `≤ ${DECISION_P99_TARGET_MS} ms`,
    d.p99 <= DECISION_P99_TARGET_MS ? 'yes' : 'NO',
  ]);

  progress(`risk: ${EVENTS.toLocaleString('en-US')} events through the in-process counters`);
  const mem = await inProcessBench(progress);
  const storedLabel = stored ? `${stored.rows.toLocaleString('en-US')} stored events, ` : '';
  rows.push([
    `assess: counters + decide (${storedLabel}${EVENTS.toLocaleString('en-US')} events counted before)`,
    'in-process',
    MEASURED,
    mem.p50,
    mem.p99,
    mem.max,
    mem.cpuP99,
    `≤ ${DECISION_P99_TARGET_MS} ms`,
    mem.p99 <= DECISION_P99_TARGET_MS ? 'yes' : 'NO',
  ]);
  notes.push(
    `in-process counters: ${EVENTS.toLocaleString('en-US')} events assessed in ${mem.loadSeconds} s (${mem.perSecond.toLocaleString('en-US')}/s on one core), RSS ${mem.rssMiB} MiB (+${mem.rssGrowthMiB} MiB; heap ${mem.heapMiB} MiB; at most 200,000 keys per map, LRU), measured decisions ${JSON.stringify(mem.decisions)}`,
  );
  if (mem.p99 > DECISION_P99_TARGET_MS)
    problems.push(`risk: one decision p99 ${mem.p99} ms > ${DECISION_P99_TARGET_MS} ms`);
  if (stored)
    rows.push([
      `store: INSERT into risk_events (${stored.rows.toLocaleString('en-US')} rows), alone`,
      'postgres',
      INSERTS,
      stored.insert.p50,
      stored.insert.p99,
      stored.insert.max,
      undefined,
      '(info; joins the payment statement)',
      '',
    ]);

  const url = REDIS_EVENTS + REDIS_MEASURED > 0 ? await redisUrlIfReachable() : undefined;
  if (url) {
    progress(`risk: ${REDIS_EVENTS.toLocaleString('en-US')} events through the Redis counters`);
    const r = await redisBench(url);
    rows.push([
      `assess: counters + decide (${REDIS_EVENTS.toLocaleString('en-US')} events counted before)`,
      'Redis',
      REDIS_MEASURED,
      r.p50,
      r.p99,
      r.max,
      undefined,
      `(info; ≤ ${DECISION_P99_TARGET_MS} ms)`,
      r.p99 <= DECISION_P99_TARGET_MS ? 'yes' : 'no',
    ]);
    notes.push(
      `Redis counters: ${REDIS_EVENTS.toLocaleString('en-US')} events assessed in ${r.loadSeconds} s, 32 in flight (${r.perSecond.toLocaleString('en-US')}/s); one connection, each assess one pipelined batch`,
    );
  } else notes.push('Redis counters: not reachable, skipped');

  const print = () => {
    printTable(
      'Risk engine: one decision (ms per call, wall clock; assess = the velocity counters recorded and read, lists, default pack decided — what a payment waits for; on-CPU = the same calls counting only the time this process ran, which leaves out waiting for a core on a shared machine)',
      ['case', 'counters', 'calls', 'p50 ms', 'p99 ms', 'max ms', 'p99 on-CPU ms', 'target', 'met'],
      rows,
    );
    for (const n of notes) console.log(`  ${n}`);
  };
  return { assessP99: mem.p99, storedRows: stored?.rows ?? 0, problems, print };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await riskBench((what) => process.stderr.write(`  … ${what}\n`));
  r.print();
  for (const p of r.problems) console.error(p);
  process.exit(r.problems.length ? 1 : 0);
}
