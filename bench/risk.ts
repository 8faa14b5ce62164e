/**
 * Risk engine micro-bench (`node --import tsx bench/risk.ts`): one decision on the default pack (compiled once),
 * over a mix of quiet and suspicious events, p50/p99 per decision; the counters' `record` in-process and on Redis
 * (SAIFU_REDIS_URL or 127.0.0.1:6379, skipped if unreachable). The engine has no event store yet: signals are
 * handed to `decide` by the caller, so stored events do not enter a decision's cost (see README, Risk engine).
 * Env: BENCH_RISK_DECISIONS (200000), BENCH_RISK_RECORDS (20000).
 */
import { percentile, round } from './measure.ts';
import {
  type Counters,
  decide,
  defaultRuleSet,
  memoryCounters,
  redisCounters,
  riskEvent,
  signalsOf,
} from '../src/risk/index.ts';

const DECISIONS = Number(process.env.BENCH_RISK_DECISIONS ?? 200_000);
const RECORDS = Number(process.env.BENCH_RISK_RECORDS ?? 20_000);

function decisionBench() {
  const t0 = performance.now();
  const pack = defaultRuleSet();
  const compileMs = performance.now() - t0;
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
  const counts = { allow: 0, challenge: 0, review: 0, deny: 0 };
  for (let i = 0; i < DECISIONS; i++) {
    const x = inputs[i & 255];
    if (!x) continue;
    const s = performance.now();
    const d = decide(x.event, x.signals, pack, x.at);
    times[i] = performance.now() - s;
    counts[d.decision]++;
  }
  const sorted = Array.from(times.subarray(Math.floor(DECISIONS / 10))).sort((a, b) => a - b);
  return {
    rules: pack.rules.length,
    compileMs: round(compileMs, 1),
    p50us: round(percentile(sorted, 50) * 1000, 1),
    p99us: round(percentile(sorted, 99) * 1000, 1),
    maxUs: round((sorted[sorted.length - 1] ?? 0) * 1000, 1),
    counts,
  };
}

async function counterBench(c: Counters) {
  const times: number[] = [];
  const base = Date.UTC(2026, 10, 10);
  for (let i = 0; i < RECORDS; i++) {
    const s = performance.now();
    await c.record(`user:${i % 5_000}`, new Date(base + i * 50), 1_000);
    times.push(performance.now() - s);
  }
  await c.close();
  times.sort((a, b) => a - b);
  return { p50us: round(percentile(times, 50) * 1000, 1), p99us: round(percentile(times, 99) * 1000, 1) };
}

async function redisOrUndefined(): Promise<Counters | undefined> {
  const c = redisCounters(process.env.SAIFU_REDIS_URL || 'redis://127.0.0.1:6379', { prefix: 'saifu:bench:' });
  try {
    await c.read('probe', new Date(0));
    return c;
  } catch {
    await c.close().catch(() => {});
    return undefined;
  }
}

export async function riskBench() {
  const decision = decisionBench();
  console.log(
    `risk decide: default pack (${decision.rules} rules, compiled in ${decision.compileMs} ms), ${DECISIONS.toLocaleString('en-US')} decisions: p50 ${decision.p50us} µs, p99 ${decision.p99us} µs, max ${decision.maxUs} µs; decisions ${JSON.stringify(decision.counts)}`,
  );
  const mem = await counterBench(memoryCounters());
  console.log(`risk counters in-process record: p50 ${mem.p50us} µs, p99 ${mem.p99us} µs`);
  const redis = await redisOrUndefined();
  if (redis) {
    const r = await counterBench(redis);
    console.log(`risk counters Redis record (4 windows, one script call): p50 ${r.p50us} µs, p99 ${r.p99us} µs`);
  } else console.log('risk counters Redis: not reachable, skipped');
}

if (import.meta.url === `file://${process.argv[1]}`) await riskBench();
