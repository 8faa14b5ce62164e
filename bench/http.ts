/**
 * (b) The HTTP payment path: the real Fastify app on 127.0.0.1 (in this process, or `saifu serve` with cluster
 * workers), POST /v1/payments with a fresh Idempotency-Key per request, driven by bench/load.mjs in its own process.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/http/index.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import type { Services } from '../src/services.ts';
import type { Mode } from './ledger.ts';
import { type StatementCounter, cpuMeter, percentile, round } from './measure.ts';
import { BENCH_SECRET_KEY, type Kind, benchServices, benchUsers, scratchDatabase } from './setup.ts';
import type { Database } from '../src/db/index.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** One database with users, merchants and a listening server, shared by the HTTP cases of one database kind. */
export interface HttpWorld {
  kind: Kind;
  database: Database;
  s: Services;
  statements: StatementCounter;
  tokens: string[];
  merchants: string[];
  url: string;
  /** Processes serving HTTP when they are not this one (`saifu serve` with workers): their process group. */
  serverGroup: number | undefined;
  /** Time each request spent in Fastify (onRequest → response sent), when the server runs in this process. */
  serverTimes: number[] | undefined;
  close(): Promise<void>;
}

/**
 * Sets up users, merchants and the server, then warms it up for `warmupSeconds` at full load (caches of sessions,
 * accounts and prepared statements fill, the JIT compiles the hot path): the cases measure the steady state.
 */
export async function httpWorld(o: {
  kind: Kind;
  users: number;
  merchants: number;
  workers: number;
  warmupSeconds: number;
  connections: number;
  poolSize: number;
  /** false: the risk engine off, for the on/off ratio measured in the same run. */
  risk?: boolean;
}): Promise<HttpWorld> {
  const database = await scratchDatabase(o.kind, o.poolSize);
  let app: FastifyInstance | undefined;
  let stopServer = () => {};
  try {
    const { s, statements } = await benchServices(database, { ...(o.risk === false ? { risk: false } : {}) });
    const tokens = await benchUsers(s, o.users);
    const merchants: string[] = [];
    for (let i = 0; i < o.merchants; i++) merchants.push((await s.wallet.payments.createMerchant(`Bench ${i}`)).id);
    let url: string;
    let serverGroup: number | undefined;
    let serverTimes: number[] | undefined;
    if (o.workers > 0 && database.url) {
      const server = await startServer(database.url, o.workers);
      url = `http://127.0.0.1:${server.port}`;
      serverGroup = server.pid;
      stopServer = server.stop;
    } else {
      app = await buildApp(s, { sandbox: false, trustProxy: false, logLevel: 'warn' });
      const times: number[] = [];
      serverTimes = times;
      app.addHook('onResponse', async (_req, reply) => {
        times.push(reply.elapsedTime);
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    }
    if (o.warmupSeconds > 0)
      await runLoad({ url, tokens, merchants, seconds: o.warmupSeconds, connections: o.connections });
    const opened = app;
    return {
      kind: o.kind,
      database,
      s,
      statements,
      tokens,
      merchants,
      url,
      serverGroup,
      serverTimes,
      close: async () => {
        stopServer();
        await opened?.close();
        await database.close();
      },
    };
  } catch (e) {
    stopServer();
    await app?.close();
    await database.close();
    throw e;
  }
}

export interface HttpResult {
  tps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  failedShare: number;
  statusCodes: Record<string, number>;
  verified: boolean;
  statementsPerRequest: number;
  statementKinds: string;
  /** Cores busy on average: the server, the load generator, PostgreSQL, and the rest of the machine (noise, kernel). */
  cpu: { server: number; load: number; postgres: number; rest: number };
  /** Inside the server (in-process only): Fastify's time per request, and how late the event loop ran timers. */
  server: { p50: number; p99: number; loopDelayP99: number; loopDelayMax: number } | undefined;
  /** How late the load generator's own event loop ran (it adds to the client-seen latency). */
  loadLoopDelay: { p99: number; max: number };
}

/** One HTTP case: `rate` absent = saturation; `rate` = autocannon overallRate; `paced` = open-loop constant rate. */
export async function httpCase(
  w: HttpWorld,
  o: { mode: Mode; seconds: number; connections: number; rate?: number; paced?: boolean },
): Promise<HttpResult> {
  const merchants = o.mode === 'hot' ? w.merchants.slice(0, 1) : w.merchants;
  const cfg = {
    url: w.url,
    tokens: w.tokens,
    merchants,
    seconds: o.seconds,
    connections: o.connections,
    ...(o.rate ? { rate: o.rate } : {}),
    ...(o.paced ? { paced: true } : {}),
  };
  w.statements.reset();
  if (w.serverTimes) w.serverTimes.length = 0;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const meter = cpuMeter();
  const serverPids = () => (w.serverGroup ? pidsInGroup(w.serverGroup) : []);
  meter.start(serverPids());
  const r = await runLoad(cfg);
  // The generator has exited, its CPU gone from /proc: its share comes from its own report (r.cpuSeconds).
  const cpu = meter.stop(serverPids());
  loop.disable();
  const times = (w.serverTimes ?? []).sort((a, b) => a - b);
  // In worker mode this process only waits: the server's CPU is the workers'.
  const server = w.serverGroup ? cpu.other : cpu.self;
  const load = round(r.cpuSeconds / r.seconds);
  const statementCount = w.statements.total;
  const statementKinds = w.statements.describe(r.ok + r.non2xx);
  const verified = (await verifyLedger(w.s.db)).length === 0;
  const failed = r.non2xx + r.errors + r.timeouts;
  return {
    tps: Math.round(r.ok / r.seconds),
    p50: r.p50,
    p99: r.p99,
    ok: r.ok,
    failed,
    failedShare: failed / Math.max(1, r.total),
    statusCodes: {
      ...r.statusCodes,
      ...(r.errors ? { 'socket errors': r.errors } : {}),
      ...(r.timeouts ? { timeouts: r.timeouts } : {}),
    },
    verified,
    statementsPerRequest: w.serverGroup ? Number.NaN : round(statementCount / Math.max(1, r.ok + r.non2xx)),
    statementKinds: w.serverGroup ? '-' : statementKinds,
    cpu: { server, load, postgres: cpu.postgres, rest: round(Math.max(0, cpu.machine - server - load - cpu.postgres)) },
    loadLoopDelay: { p99: round(r.loopDelayP99, 1), max: round(r.loopDelayMax, 1) },
    server: w.serverTimes
      ? {
          p50: round(percentile(times, 50)),
          p99: round(percentile(times, 99)),
          loopDelayP99: round(loop.percentile(99) / 1e6, 1),
          loopDelayMax: round(loop.max / 1e6, 1),
        }
      : undefined,
  };
}

interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  total: number;
  seconds: number;
  p50: number;
  p99: number;
  statusCodes: Record<string, number>;
  cpuSeconds: number;
  loopDelayP99: number;
  loopDelayMax: number;
}

/** Runs bench/load.mjs in its own process (so it does not share the server's event loop) and reads its report. */
async function runLoad(cfg: Record<string, unknown>): Promise<LoadResult> {
  const child = spawn(process.execPath, [join(here, 'load.mjs'), JSON.stringify(cfg)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited ${code}`);
  return JSON.parse(out) as LoadResult;
}

/** Processes in a process group (the cluster primary and its workers), from /proc. */
function pidsInGroup(group: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === group) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Runs `saifu serve` with SAIFU_WORKERS processes on the scratch database; resolves once it answers /healthz. */
async function startServer(url: string, workers: number): Promise<{ port: number; pid: number; stop: () => void }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [join(here, '..', 'bin', 'saifu.mjs'), 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      SAIFU_WORKERS: String(workers),
      SAIFU_SANDBOX: '0',
      SAIFU_LOG_LEVEL: 'warn',
      SAIFU_SECRET_KEY: BENCH_SECRET_KEY,
      SAIFU_INQUIRY_INTERVAL_MS: '600000',
    },
    stdio: 'ignore',
    detached: true,
  });
  const stop = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok)
        return { port, pid: child.pid!, stop: () => stop('SIGTERM') };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  stop('SIGKILL');
  throw new Error('bench server did not start');
}
