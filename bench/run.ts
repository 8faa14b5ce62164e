/**
 * `npm run bench`: ledger and HTTP payment throughput on PGlite and PostgreSQL, uniform and hot-merchant,
 * beside a pgbench baseline measured in the same run (absolute speed varies between machines; ratios travel).
 * Env: BENCH_SECONDS (default 8), BENCH_DB=pglite|postgres|both, BENCH_ONLY=ledger|http|baseline,
 * BENCH_WORKERS=N (also run the HTTP cases against `saifu serve` with N cluster workers).
 */
import { execFile, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildApp } from '../src/http/app.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { benchServices, benchUsers, fund, postgresReachable, scratchDatabase } from './setup.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ONLY = process.env.BENCH_ONLY;
const here = dirname(fileURLToPath(import.meta.url));
type Kind = 'pglite' | 'postgres';
type Mode = 'uniform' | 'hot';

interface Row {
  bench: string;
  db: Kind | 'postgres (pgbench)';
  mode: Mode;
  'tx/s': number;
  'p50 ms': number | string;
  'p99 ms': number | string;
  note: string;
}
const rows: Row[] = [];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function baseline(mode: Mode): Promise<number> {
  const script = join(here, '..', '..', 'shared', 'bench', 'pgbench-ledger.sh');
  const { stdout } = await promisify(execFile)('bash', [script, mode, String(SECONDS), '16'], { timeout: (SECONDS + 60) * 1000 });
  return Number(stdout.trim().split(/\s+/)[1] ?? 0);
}

/** (a) the ledger alone: 16 workers posting one-yen transfers for SECONDS. */
async function ledgerBench(kind: Kind, mode: Mode): Promise<void> {
  const database = await scratchDatabase(kind);
  const s = await benchServices(database);
  const wallets: string[] = [];
  for (let i = 0; i < 2_000; i++) wallets.push(await s.ledger.createAccount(s.db, { kind: 'wallet', ownerId: `bench_${i}` }));
  const merchant = await s.ledger.createAccount(s.db, { kind: 'merchant', ownerId: 'mer_bench' });
  await fund(s, wallets, 1_000_000);
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  const pick = () => wallets[Math.floor(Math.random() * wallets.length)]!;
  const worker = async () => {
    while (performance.now() < until) {
      const from = pick();
      let to = mode === 'hot' ? merchant : pick();
      if (to === from) to = merchant;
      const t0 = performance.now();
      // The statement payments use: transfer + balance slots in one round trip, no explicit transaction.
      await s.ledger.transferAtomically(s.db, [{ debitAccountId: from, creditAccountId: to, amount: amount(1), code: 'bench' }], () => []);
      latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: 16 }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const ok = (await verifyLedger(s.db)).length === 0;
  rows.push({ bench: 'ledger', db: kind, mode, 'tx/s': Math.round(latencies.length / elapsed), 'p50 ms': round(percentile(latencies, 50)), 'p99 ms': round(percentile(latencies, 99)), note: ok ? 'ledger verified' : 'LEDGER VERIFY FAILED' });
  await database.close();
}

interface LoadResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  total: number;
}

function load(cfg: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'load.mjs'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

/** Runs `saifu serve` with SAIFU_WORKERS processes on the scratch database; resolves once it answers /healthz. */
async function startServer(url: string, workers: number): Promise<{ port: number; stop: () => void }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [join(here, '..', 'bin', 'saifu.mjs'), 'serve'], {
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', SAIFU_WORKERS: String(workers), SAIFU_SANDBOX: '0', SAIFU_LOG_LEVEL: 'warn', SAIFU_SECRET_KEY: 'bench-secret-bench-secret-bench-secret', SAIFU_INQUIRY_INTERVAL_MS: '600000' },
    stdio: 'ignore',
    detached: true,
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { port, stop: () => process.kill(-child.pid!, 'SIGTERM') };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(-child.pid!, 'SIGKILL');
  throw new Error('bench server did not start');
}

/** (b) the HTTP payment path: the real app on 127.0.0.1 (in this process, or `saifu serve` with workers), autocannon in another process. */
async function httpBench(kind: Kind, mode: Mode, halfLoadOf?: number, workers = 0): Promise<number> {
  const database = await scratchDatabase(kind, 32);
  const s = await benchServices(database);
  const tokens = await benchUsers(s, kind === 'pglite' ? 200 : 500);
  const merchants: string[] = [];
  for (let i = 0; i < (mode === 'hot' ? 1 : 200); i++) merchants.push((await s.wallet.payments.createMerchant(`Bench ${i}`)).id);
  const app = await buildApp(s, { sandbox: false, trustProxy: false, logLevel: 'warn' });
  let port: number;
  let stopServer = () => {};
  if (workers > 0 && database.url) {
    ({ port, stop: stopServer } = await startServer(database.url, workers));
  } else {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  }
  // Saturation is measured with 64 connections; the half-load latency with 16, as a steady client pool would send it.
  const r = await load({ url: `http://127.0.0.1:${port}`, tokens, merchants, seconds: SECONDS, connections: halfLoadOf ? 16 : 64, ...(halfLoadOf ? { rate: Math.round(halfLoadOf / 2) } : {}) });
  stopServer();
  await app.close();
  const ok = (await verifyLedger(s.db)).length === 0;
  const errorShare = (r.non2xx + r.errors + r.timeouts) / Math.max(1, r.total);
  const tps = Math.round(r.requests.average);
  rows.push({
    bench: `http payment${halfLoadOf ? ' @ half load' : ''}${workers > 0 ? ` (${workers} workers)` : ''}`,
    db: kind,
    mode,
    'tx/s': tps,
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    note: `${ok ? 'ledger verified' : 'LEDGER VERIFY FAILED'}; non-2xx ${(errorShare * 100).toFixed(2)}%`,
  });
  await database.close();
  if (errorShare > 0.01) throw new Error(`HTTP bench ${kind}/${mode}: ${(errorShare * 100).toFixed(2)}% of requests failed`);
  return tps;
}

const pgUp = await postgresReachable();
const dbs: Kind[] = (process.env.BENCH_DB === 'pglite' ? ['pglite'] : process.env.BENCH_DB === 'postgres' ? ['postgres'] : pgUp ? ['pglite', 'postgres'] : ['pglite']).filter((k) => k === 'pglite' || pgUp) as Kind[];
console.log(`Saifu bench — ${new Date().toISOString()} — node ${process.version}, ${availableParallelism()} cores, ${SECONDS} s per case, databases: ${dbs.join(', ')}`);

const base: Partial<Record<Mode, number>> = {};
if (pgUp && (!ONLY || ONLY === 'baseline')) {
  for (const mode of ['uniform', 'hot'] as const) {
    base[mode] = await baseline(mode);
    rows.push({ bench: 'pgbench: 2 balance updates + 1 insert', db: 'postgres (pgbench)', mode, 'tx/s': Math.round(base[mode]!), 'p50 ms': '-', 'p99 ms': '-', note: '16 clients, baseline' });
  }
}
for (const kind of dbs) {
  if (!ONLY || ONLY === 'ledger') for (const mode of ['uniform', 'hot'] as const) await ledgerBench(kind, mode);
  if (!ONLY || ONLY === 'http') {
    const uniform = await httpBench(kind, 'uniform');
    await httpBench(kind, 'hot');
    if (kind === 'postgres') {
      await httpBench(kind, 'uniform', uniform);
      // Optionally the same path as `saifu serve` runs it with SAIFU_WORKERS=N (node:cluster), in its own processes.
      const workers = Number(process.env.BENCH_WORKERS ?? 0);
      if (workers > 0) {
        const clustered = await httpBench(kind, 'uniform', undefined, workers);
        await httpBench(kind, 'hot', undefined, workers);
        await httpBench(kind, 'uniform', clustered, workers);
      }
    }
  }
}

console.table(rows);

const get = (bench: string, db: Kind, mode: Mode) => rows.find((r) => r.bench === bench && r.db === db && r.mode === mode)?.['tx/s'];
const ratios: Array<{ figure: string; value: string; target: string }> = [];
for (const bench of ['ledger', 'http payment']) {
  const [u, h] = [get(bench, 'postgres', 'uniform'), get(bench, 'postgres', 'hot')];
  if (u && h) ratios.push({ figure: `${bench} hot / uniform (PostgreSQL)`, value: `${Math.round((h / u) * 100)}%`, target: '≥ 80%' });
  for (const mode of ['uniform', 'hot'] as const) {
    const v = get(bench, 'postgres', mode);
    if (v && base[mode]) ratios.push({ figure: `${bench} ${mode} / pgbench ${mode}`, value: `${round(v / base[mode]!, 2)}×`, target: '-' });
  }
}
for (const variant of ['', ` (${process.env.BENCH_WORKERS ?? 0} workers)`]) {
  const u = get(`http payment${variant}`, 'postgres', 'uniform');
  const h = get(`http payment${variant}`, 'postgres', 'hot');
  if (u) ratios.push({ figure: `HTTP payments/s${variant} (PostgreSQL, uniform)`, value: String(u), target: '≥ 3,000/s' });
  if (u && h && variant) ratios.push({ figure: `http payment${variant} hot / uniform`, value: `${Math.round((h / u) * 100)}%`, target: '≥ 80%' });
  const half = rows.find((r) => r.bench === `http payment @ half load${variant}` && r.db === 'postgres');
  if (half) ratios.push({ figure: `HTTP p99 at half load${variant} (PostgreSQL)`, value: `${half['p99 ms']} ms`, target: '≤ 25 ms' });
}
if (ratios.length) console.table(ratios);
process.exit(rows.some((r) => r.note.includes('FAILED')) ? 1 : 0);
