import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../db/index.ts';
import { CONFIGS } from './configs.ts';
import type { SimResult } from './metrics.ts';
import { writeFile } from './output.ts';
import { markdownTable, reportHtml, summaryRows } from './report.ts';
import type { SimTiming } from './run.ts';

export interface CompareOptions {
  users: number;
  victims: number;
  days: number;
  seed: number;
  out: string;
  /** The saifu entry point each configuration runs in (a process per configuration, as many at once as cores). */
  bin: string;
  onDone?: (config: string, done: number, total: number) => void;
  /**
   * A PostgreSQL server (any database on it) to run on instead of PGlite: each configuration gets a scratch
   * database of its own, dropped when it ends.
   */
  databaseUrl?: string;
  /** Simulated days finished over all configurations, of `total` (configurations × days): for a bar with an ETA. */
  onDays?: (done: number, total: number) => void;
}

/**
 * The standard comparison: every configuration, same seed and population, each in its own process (a PGlite per
 * process; the machine's cores in parallel), then one summary (summary.json, summary.md, report.html).
 */
export async function runComparison(o: CompareOptions): Promise<{ results: SimResult[]; wallMs: number }> {
  const t0 = performance.now();
  const queue = [...CONFIGS];
  let done = 0;
  const daysDone = new Map<string, number>();
  const onDay = (config: string, day: number) => {
    daysDone.set(config, day);
    let sum = 0;
    for (const d of daysDone.values()) sum += d;
    o.onDays?.(sum, CONFIGS.length * o.days);
  };
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      await runChild(o, c.name, onDay);
      o.onDone?.(c.name, ++done, CONFIGS.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), CONFIGS.length) }, worker));
  const results = CONFIGS.map((c) => JSON.parse(readFileSync(join(o.out, c.name, 'result.json'), 'utf8')) as SimResult);
  const timings = CONFIGS.map((c) => ({
    config: c.name,
    ...(JSON.parse(readFileSync(join(o.out, c.name, 'timing.json'), 'utf8')) as SimTiming),
  }));
  const wallMs = Math.round(performance.now() - t0);
  writeFile(join(o.out, 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFile(join(o.out, 'summary.md'), `${markdownTable(summaryRows(results))}\n`);
  writeFile(join(o.out, 'timing.json'), `${JSON.stringify({ wallMs, configs: timings }, null, 2)}\n`);
  writeFile(join(o.out, 'report.html'), reportHtml(results));
  return { results, wallMs };
}

async function runChild(
  o: CompareOptions,
  config: string,
  onDay: (config: string, day: number) => void,
): Promise<void> {
  const scratch = o.databaseUrl ? await createScratchDatabase(o.databaseUrl, 'saifu_sim') : undefined;
  try {
    await forkChild(o, config, onDay, scratch?.url);
  } finally {
    await scratch?.drop();
  }
}

function forkChild(
  o: CompareOptions,
  config: string,
  onDay: (config: string, day: number) => void,
  databaseUrl: string | undefined,
): Promise<void> {
  const args = ['sim', '--config', config, '--users', String(o.users), '--victims', String(o.victims)];
  args.push('--days', String(o.days), '--seed', String(o.seed), '--out', join(o.out, config), '--quiet');
  if (databaseUrl) args.push('--database-url', databaseUrl);
  return new Promise((resolve, reject) => {
    const child = fork(o.bin, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    // The child reports each simulated day it finishes (see simCommand).
    child.on('message', (m: { simDay?: number }) => {
      if (typeof m?.simDay === 'number') onDay(config, m.simDay);
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sim ${config} exited with ${code}`))));
  });
}
