/** (c) The pgbench baseline: raw PostgreSQL doing one transfer's minimal SQL, measured in the same run. */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Mode } from './ledger.ts';
import { cpuMeter, round } from './measure.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SCRIPT = process.env.BENCH_PGBENCH_SCRIPT ?? join(here, 'pgbench-ledger.sh');

/**
 * `pgbench-ledger.sh <mode> <seconds> <clients>`: its tx/s, and PostgreSQL's CPU per transaction (the script's own
 * set-up, 10,000 rows, is included: a few percent).
 */
export async function baseline(
  mode: Mode,
  seconds: number,
  clients = 16,
): Promise<{ tps: number; cpu: { pgbench: number; postgres: number; rest: number }; postgresMicrosPerTx: number }> {
  const meter = cpuMeter();
  meter.start();
  const { stdout } = await promisify(execFile)('bash', [SCRIPT, mode, String(seconds), String(clients)], {
    timeout: (seconds + 60) * 1000,
  });
  const cpu = meter.stop();
  const tps = Number(stdout.trim().split(/\s+/)[1] ?? 0);
  if (!(tps > 0)) throw new Error(`pgbench-ledger.sh ${mode} printed no figure: ${stdout.trim()}`);
  // The window includes the script's set-up and teardown (about a second): CPU is spread over the measured seconds.
  const perSecond = (cores: number) => round((cores * cpu.wall) / seconds);
  return {
    tps,
    cpu: {
      pgbench: perSecond(cpu.pgbench),
      postgres: perSecond(cpu.postgres),
      rest: round(Math.max(0, cpu.machine - cpu.pgbench - cpu.postgres)),
    },
    postgresMicrosPerTx: (cpu.postgres * cpu.wall * 1e6) / (tps * seconds),
  };
}
