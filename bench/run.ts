/**
 * `npm run bench`: (a) the ledger alone, (b) the HTTP payment path, each uniform and hot-merchant, on PGlite and
 * PostgreSQL, (c) a pgbench baseline measured in the same run, and the ratios the targets (docs/product.md §5) are
 * stated in. Absolute speed varies between machines; the ratios travel. See bench/README.md.
 * (d) the risk engine (bench/risk.ts): one decision with 1,000,000 stored events, in-process and on Redis.
 * (e) the attack simulator (bench/sim.ts): a simulated month by kind of step, and the standard comparison projected.
 * Env: BENCH_SECONDS (8), BENCH_DB=pglite|postgres|both, BENCH_ONLY=ledger|http|baseline|risk|sim, BENCH_CONNECTIONS (64),
 * BENCH_HALF_CONNECTIONS (64), BENCH_POOL (20), BENCH_WARMUP_SECONDS (2), BENCH_WORKERS=N (also `saifu serve` with N cluster workers), BENCH_DATABASE_URL.
 */
import { baseline } from './baseline.ts';
import { type HttpResult, type HttpWorld, httpCase, httpWorld } from './http.ts';
import { type LedgerVariant, type Mode, ledgerBench } from './ledger.ts';
import { describeMachine } from './machine.ts';
import { round } from './measure.ts';
import { type Cell, pct, printTable, times } from './report.ts';
import { DECISION_P99_TARGET_MS, type RiskBenchResult, riskBench } from './risk.ts';
import { COMPARISON_TARGET_MINUTES, STANDARD, type SimBenchResult, simBench } from './sim.ts';
import { type Kind, dropScratchDatabases, postgresVersion } from './setup.ts';

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
};
const SECONDS = env('BENCH_SECONDS', 8);
const CONNECTIONS = env('BENCH_CONNECTIONS', 64);
const HALF_CONNECTIONS = env('BENCH_HALF_CONNECTIONS', 64);
const LEDGER_WORKERS = env('BENCH_LEDGER_WORKERS', 16);
const WORKERS = env('BENCH_WORKERS', 0);
const WARMUP = env('BENCH_WARMUP_SECONDS', 2);
/** The server's PostgreSQL pool: 20 is what `saifu serve` opens. */
const POOL = env('BENCH_POOL', 20);
const USERS = env('BENCH_USERS', 500);
const MERCHANTS = env('BENCH_MERCHANTS', 200);
const WALLETS = env('BENCH_WALLETS', 2_000);
const ONLY = process.env.BENCH_ONLY;
if (ONLY && !['ledger', 'http', 'baseline', 'risk', 'sim'].includes(ONLY))
  throw new Error('BENCH_ONLY must be ledger, http, baseline, risk or sim');
const DB = process.env.BENCH_DB ?? 'both';
if (!['pglite', 'postgres', 'both'].includes(DB)) throw new Error('BENCH_DB must be pglite, postgres or both');
const MODES: Mode[] = ['uniform', 'hot'];

interface Row {
  bench: string;
  db: Kind | 'pgbench';
  mode: Mode;
  conns: number | undefined;
  tps: number;
  p50?: number;
  p99?: number;
  failed?: string;
  statements?: number;
  cpu?: string;
  pgMicros?: number;
  ledger?: string;
  problem?: string;
}
const rows: Row[] = [];
const statementRows: Cell[][] = [];
const problems: string[] = [];

const pgVersion = DB === 'pglite' ? undefined : await postgresVersion();
if (DB === 'postgres' && !pgVersion) throw new Error('BENCH_DB=postgres but PostgreSQL is not reachable');
const dbs: Kind[] =
  DB === 'pglite' ? ['pglite'] : DB === 'postgres' ? ['postgres'] : pgVersion ? ['pglite', 'postgres'] : ['pglite'];
const started = performance.now();
console.log(`Saifu bench — ${new Date().toISOString()}`);
console.log(`machine: ${describeMachine(pgVersion)}`);
console.log(
  `run: ${SECONDS} s per case · databases: ${dbs.join(', ')}${ONLY ? ` · only ${ONLY}` : ''} · ledger: ${LEDGER_WORKERS} workers, ${WALLETS.toLocaleString('en-US')} wallets · HTTP: ${USERS} users, ${MERCHANTS} merchants, ${CONNECTIONS} connections (half load: ${HALF_CONNECTIONS}), pool ${POOL}, ${WARMUP} s warm-up`,
);
if (!pgVersion && DB === 'both') console.log('PostgreSQL is not reachable: PGlite only, no baseline.');

process.on('SIGINT', () => {
  console.error('\ninterrupted: dropping scratch databases');
  void dropScratchDatabases().finally(() => process.exit(130));
});

const cpuCell = (...cores: Array<number | undefined>) =>
  cores.map((c) => (c === undefined ? '-' : c.toFixed(2))).join(' ');
/** Cores the rest of the machine used during a case (other people's tests, say): above this the figures are suspect. */
const NOISE = 0.3;
const noise: string[] = [];
const noisy = (label: string, rest: number) => {
  if (rest > NOISE) noise.push(`${label}: ${rest.toFixed(2)} cores busy outside the bench`);
};
const progress = (what: string) =>
  process.stderr.write(`  … ${what} (${Math.round((performance.now() - started) / 1000)} s)\n`);
const verdict = (verified: boolean, label: string): string => {
  if (verified) return 'verified';
  problems.push(`${label}: LEDGER DID NOT VERIFY`);
  return 'NOT VERIFIED';
};

const base: Partial<Record<Mode, { tps: number; postgresMicrosPerTx: number }>> = {};

async function runBaseline(): Promise<void> {
  for (const mode of MODES) {
    progress(`pgbench ${mode}`);
    const b = await baseline(mode, SECONDS, 16);
    base[mode] = b;
    rows.push({
      bench: 'pgbench: 2 updates + 1 insert',
      db: 'pgbench',
      mode,
      conns: 16,
      tps: Math.round(b.tps),
      cpu: cpuCell(undefined, b.cpu.pgbench, b.cpu.postgres, b.cpu.rest),
      pgMicros: Math.round(b.postgresMicrosPerTx),
    });
    noisy(`pgbench ${mode}`, b.cpu.rest);
  }
}

async function runLedger(kind: Kind): Promise<void> {
  for (const variant of ['transfer', 'atomic'] as LedgerVariant[]) {
    for (const mode of MODES) {
      progress(`ledger ${variant} ${kind} ${mode}`);
      const r = await ledgerBench({ kind, mode, variant, seconds: SECONDS, workers: LEDGER_WORKERS, wallets: WALLETS });
      const label = `ledger ${variant} ${kind} ${mode}`;
      noisy(label, r.cpu.rest);
      const failedShare = r.failed / Math.max(1, r.count + r.failed);
      if (failedShare > 0.01) problems.push(`${label}: ${pct(failedShare)} of transfers failed`);
      rows.push({
        bench: variant === 'transfer' ? 'ledger: inTransaction+transfer' : 'ledger: transferAtomically',
        db: kind,
        mode,
        conns: LEDGER_WORKERS,
        tps: r.tps,
        p50: r.p50,
        p99: r.p99,
        failed: r.failed ? `${r.failed} (${(failedShare * 100).toFixed(2)}%)` : '0',
        statements: r.statementsPerTx,
        cpu: cpuCell(r.cpu.app, undefined, kind === 'postgres' ? r.cpu.postgres : undefined, r.cpu.rest),
        ...(kind === 'postgres' && r.tps ? { pgMicros: Math.round((r.cpu.postgres * 1e6) / r.tps) } : {}),
        ledger: verdict(r.verified, label),
      });
    }
  }
}

function recordHttp(bench: string, kind: Kind, mode: Mode, conns: number, r: HttpResult): void {
  const label = `${bench} ${kind} ${mode}`;
  noisy(label, r.cpu.rest);
  const share = `${r.failed} (${(r.failedShare * 100).toFixed(2)}%)`;
  if (r.failedShare > 0.01)
    problems.push(
      `${label}: ${(r.failedShare * 100).toFixed(2)}% of requests were not 2xx — status codes ${JSON.stringify(r.statusCodes)}`,
    );
  rows.push({
    bench,
    db: kind,
    mode,
    conns,
    tps: r.tps,
    p50: r.p50,
    p99: r.p99,
    failed: r.failed ? share : '0',
    statements: r.statementsPerRequest,
    cpu: cpuCell(r.cpu.server, r.cpu.load, kind === 'postgres' ? r.cpu.postgres : undefined, r.cpu.rest),
    ...(kind === 'postgres' && r.tps ? { pgMicros: Math.round((r.cpu.postgres * 1e6) / r.tps) } : {}),
    ledger: verdict(r.verified, label),
  });
  statementRows.push([
    bench,
    kind,
    mode,
    r.p50,
    r.p99,
    r.server?.p50,
    r.server?.p99,
    r.server ? `${r.server.loopDelayP99} / ${r.server.loopDelayMax}` : undefined,
    r.statementKinds,
  ]);
}

async function runHttp(kind: Kind, workers: number): Promise<void> {
  const suffix = workers > 0 ? ` (${workers} workers)` : '';
  progress(`HTTP${suffix} ${kind}: ${USERS} users, ${MERCHANTS} merchants`);
  let w: HttpWorld | undefined;
  try {
    w = await httpWorld({
      kind,
      users: USERS,
      merchants: MERCHANTS,
      workers,
      warmupSeconds: WARMUP,
      connections: CONNECTIONS,
      poolSize: POOL,
    });
    let uniform = 0;
    for (const mode of MODES) {
      progress(`HTTP${suffix} ${kind} ${mode}`);
      const r = await httpCase(w, { mode, seconds: SECONDS, connections: CONNECTIONS });
      if (mode === 'uniform') uniform = r.tps;
      recordHttp(`http payment${suffix}`, kind, mode, CONNECTIONS, r);
    }
    if (kind === 'postgres' && uniform > 0) {
      const rate = Math.max(1, Math.round(uniform / 2));
      progress(`HTTP${suffix} ${kind} half load, autocannon overallRate ${rate}/s`);
      recordHttp(
        `http @ half load${suffix}: autocannon`,
        kind,
        'uniform',
        HALF_CONNECTIONS,
        await httpCase(w, { mode: 'uniform', seconds: SECONDS, connections: HALF_CONNECTIONS, rate }),
      );
      progress(`HTTP${suffix} ${kind} half load, paced ${rate}/s`);
      recordHttp(
        `http @ half load${suffix}: paced`,
        kind,
        'uniform',
        HALF_CONNECTIONS,
        await httpCase(w, { mode: 'uniform', seconds: SECONDS, connections: HALF_CONNECTIONS, rate, paced: true }),
      );
    }
  } finally {
    await w?.close();
  }
}

/**
 * The on/off ratio (the target): the uniform payment case with the default rule pack on and with the risk engine
 * off, each on its own scratch database and server, both open at once and run alternately (on, off, then off, on…)
 * for BENCH_RISK_ROUNDS rounds, so that a change in the machine's background load falls on both alike.
 */
const ROUNDS = Math.max(1, env('BENCH_RISK_ROUNDS', 2));
const onOff: Array<{ round: number; risk: 'on' | 'off'; tps: number; serverCpuMicros: number }> = [];
async function runHttpRiskOnOff(kind: Kind): Promise<void> {
  progress(`HTTP ${kind} uniform, risk engine on and off: ${ROUNDS} rounds alternating`);
  const worlds: Partial<Record<'on' | 'off', HttpWorld>> = {};
  try {
    for (const risk of ['on', 'off'] as const)
      worlds[risk] = await httpWorld({
        kind,
        users: USERS,
        merchants: MERCHANTS,
        workers: 0,
        warmupSeconds: WARMUP,
        connections: CONNECTIONS,
        poolSize: POOL,
        risk: risk === 'on',
      });
    for (let round = 1; round <= ROUNDS; round++) {
      for (const risk of round % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        progress(`HTTP ${kind} uniform, risk ${risk}, round ${round}`);
        const r = await httpCase(worlds[risk]!, { mode: 'uniform', seconds: SECONDS, connections: CONNECTIONS });
        recordHttp(`http payment, risk ${risk} (round ${round})`, kind, 'uniform', CONNECTIONS, r);
        onOff.push({ round, risk, tps: r.tps, serverCpuMicros: r.tps ? (r.cpu.server * 1e6) / r.tps : Number.NaN });
      }
    }
  } finally {
    await worlds.on?.close();
    await worlds.off?.close();
  }
}

let risk: RiskBenchResult | undefined;
let sim: SimBenchResult | undefined;
let crashed: unknown;
try {
  if (pgVersion && dbs.includes('postgres') && (!ONLY || ONLY === 'baseline')) await runBaseline();
  for (const kind of dbs) {
    if (!ONLY || ONLY === 'ledger') await runLedger(kind);
    if (!ONLY || ONLY === 'http') {
      await runHttp(kind, 0);
      if (kind === 'postgres') await runHttpRiskOnOff(kind);
      if (WORKERS > 0 && kind === 'postgres') await runHttp(kind, WORKERS);
    }
  }
  // The simulator is CPU-bound on PGlite: before the risk section leaves PostgreSQL checkpointing.
  if (!ONLY || ONLY === 'sim') sim = await simBench(progress);
  // Last: loading 1,000,000 stored events leaves PostgreSQL checkpointing for a while, which the cases above must not see.
  if (!ONLY || ONLY === 'risk') {
    risk = await riskBench(progress, { postgres: dbs.includes('postgres') });
    problems.push(...risk.problems);
  }
} catch (e) {
  crashed = e;
  problems.push(`the bench stopped early: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await dropScratchDatabases();
}

if (rows.length)
  printTable(
    'Measurements (tx/s = completed transfers or 2xx payments per second; CPU = cores busy on average in the app process, the load generator (pgbench for the baseline), PostgreSQL, and the rest of the machine)',
    [
      'case',
      'db',
      'mode',
      'conns',
      'tx/s',
      'p50 ms',
      'p99 ms',
      'non-2xx/failed',
      'stmts/tx',
      'CPU app load pg rest',
      'pg µs/tx',
      'ledger',
    ],
    rows.map((r) => [
      r.bench,
      r.db,
      r.mode,
      r.conns,
      r.tps,
      r.p50,
      r.p99,
      r.failed,
      r.statements,
      r.cpu,
      r.pgMicros,
      r.ledger,
    ]),
  );
if (statementRows.length)
  printTable(
    'HTTP payment path, inside the server: client-seen vs in-Fastify latency, event-loop delay, statements the app executes per request (Kysely, by kind)',
    [
      'case',
      'db',
      'mode',
      'client p50',
      'client p99',
      'server p50',
      'server p99',
      'loop delay p99/max ms',
      'statements per request',
    ],
    statementRows,
  );

risk?.print();
sim?.print();

const tps = (bench: string, db: Kind, mode: Mode) =>
  rows.find((r) => r.bench === bench && r.db === db && r.mode === mode)?.tps;
const ratios: Cell[][] = [];
const suffixes = ['', ...(WORKERS > 0 ? [` (${WORKERS} workers)`] : [])];
for (const bench of [
  'ledger: inTransaction+transfer',
  'ledger: transferAtomically',
  ...suffixes.map((s) => `http payment${s}`),
]) {
  for (const db of dbs) {
    const [u, h] = [tps(bench, db, 'uniform'), tps(bench, db, 'hot')];
    if (u && h)
      ratios.push([
        `${bench}: hot / uniform`,
        db,
        pct(h / u),
        db === 'postgres' ? '≥ 80%' : '(info)',
        db === 'postgres' ? (h / u >= 0.8 ? 'yes' : 'NO') : '',
      ]);
  }
  for (const mode of MODES) {
    const v = tps(bench, 'postgres', mode);
    const b = base[mode]?.tps;
    if (v && b) ratios.push([`${bench} / pgbench, ${mode}`, 'postgres', times(v / b), '(info)', '']);
  }
}
if (onOff.length) {
  const sum = (risk: 'on' | 'off', f: (x: (typeof onOff)[number]) => number) =>
    onOff.filter((x) => x.risk === risk).reduce((t, x) => t + f(x), 0);
  const [on, off] = [sum('on', (x) => x.tps), sum('off', (x) => x.tps)];
  const perRound = Array.from({ length: ROUNDS }, (_, i) => {
    const pair = onOff.filter((x) => x.round === i + 1);
    const [a, b] = [pair.find((x) => x.risk === 'on')?.tps, pair.find((x) => x.risk === 'off')?.tps];
    return a && b ? times(a / b) : '-';
  });
  if (on && off)
    ratios.push([
      `HTTP payments/s, risk on / risk off (${Math.round(on / ROUNDS).toLocaleString('en-US')} / ${Math.round(off / ROUNDS).toLocaleString('en-US')}/s; rounds ${perRound.join(', ')})`,
      'postgres',
      times(on / off),
      '≥ 0.9×',
      on / off >= 0.9 ? 'yes' : 'NO',
    ]);
  const [cpuOn, cpuOff] = [sum('on', (x) => x.serverCpuMicros), sum('off', (x) => x.serverCpuMicros)];
  if (cpuOn && cpuOff)
    ratios.push([
      `server CPU per payment, risk on / off (${Math.round(cpuOn / ROUNDS)} / ${Math.round(cpuOff / ROUNDS)} µs)`,
      'postgres',
      times(cpuOn / cpuOff),
      '(info)',
      '',
    ]);
}
if (sim) {
  ratios.push([
    `simulator: standard comparison (${STANDARD.configs} configurations × ${STANDARD.users.toLocaleString('en-US')} users × ${STANDARD.days} days), projected linearly from ${sim.users} users × ${sim.days} days (a lower bound)`,
    'pglite',
    `${sim.projectedMinutes} min`,
    `a few minutes (≤ ${COMPARISON_TARGET_MINUTES})`,
    sim.projectedMinutes <= COMPARISON_TARGET_MINUTES ? 'yes' : 'NO',
  ]);
  const b = base.uniform?.tps;
  if (b)
    ratios.push([
      `simulator statements/s (${sim.statementsPerSecond.toLocaleString('en-US')}) / pgbench uniform tx/s`,
      'pglite',
      times(sim.statementsPerSecond / b),
      '(info)',
      '',
    ]);
}
if (risk)
  ratios.push([
    `risk: one decision p99 (assess in-process, ${risk.storedRows.toLocaleString('en-US')} stored events)`,
    'in-process',
    `${risk.assessP99} ms`,
    `≤ ${DECISION_P99_TARGET_MS} ms`,
    risk.assessP99 <= DECISION_P99_TARGET_MS ? 'yes' : 'NO',
  ]);
for (const s of suffixes) {
  const u = tps(`http payment${s}`, 'postgres', 'uniform');
  if (u)
    ratios.push([
      `HTTP payments/s${s}, uniform`,
      'postgres',
      u.toLocaleString('en-US'),
      '≥ 3,000/s',
      u >= 3000 ? 'yes' : 'NO',
    ]);
  const h = tps(`http payment${s}`, 'postgres', 'hot');
  if (h)
    ratios.push([
      `HTTP payments/s${s}, hot merchant`,
      'postgres',
      h.toLocaleString('en-US'),
      '≥ 2,400/s (80% of 3,000)',
      h >= 2400 ? 'yes' : 'NO',
    ]);
  for (const how of ['autocannon', 'paced']) {
    const half = rows.find((r) => r.bench === `http @ half load${s}: ${how}` && r.db === 'postgres');
    if (half?.p99 !== undefined)
      ratios.push([
        `HTTP p99 at half load${s} (${how}, ${half.tps.toLocaleString('en-US')}/s)`,
        'postgres',
        `${round(half.p99, 1)} ms`,
        '≤ 25 ms',
        half.p99 <= 25 ? 'yes' : 'NO',
      ]);
  }
}
if (ratios.length)
  printTable('Ratios and targets (docs/product.md §5)', ['figure', 'db', 'value', 'target', 'met'], ratios);

if (noise.length)
  console.log(
    `\nNOISE: other work shared the machine (rest > ${NOISE} cores; kernel network work is about 0.1) — rerun on a quiet machine:\n${noise.map((n) => `  - ${n}`).join('\n')}`,
  );
console.log(`\nfinished in ${Math.round((performance.now() - started) / 1000)} s`);
if (problems.length) {
  console.error(`\n${'!'.repeat(80)}\nBENCH FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${'!'.repeat(80)}`);
  process.exit(1);
}
process.exit(crashed ? 1 : 0);
