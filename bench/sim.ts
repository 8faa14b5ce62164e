/**
 * The simulator section of `npm run bench` (BENCH_ONLY=sim): one simulated month of the `default` configuration
 * on PGlite (BENCH_SIM_USERS honest users, 30 days, seed 42; the same run `saifu sim` does), timed by kind of step,
 * with the database statements each kind runs and the share of its time spent inside the database. From it, the
 * standard comparison (12 configurations × 10,000 users × 30 days, one process per configuration, as many at once
 * as cores) is projected by scaling the measured month linearly with honest users. That is a lower bound: 300 →
 * 1,000 users went 57 s → 173 s (linear), but one 10,000-user month of `default` took 47 CPU-minutes, 1.7× the
 * linear figure, as the tables grow. The target is "a few minutes".
 * Env: BENCH_SIM_USERS (300), BENCH_SIM_DAYS (30).
 */
import { availableParallelism } from 'node:os';
import { CONFIGS, findConfig, runSimulation } from '../src/sim/index.ts';
import type { SimTiming } from '../src/sim/run.ts';
import { type Cell, printTable } from './report.ts';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 1) throw new Error(`${name} must be a positive number`);
  return Math.floor(v);
};

/** The standard comparison's size (README, `npm run sim`). */
export const STANDARD = { users: 10_000, days: 30, configs: CONFIGS.length };
/** "A few minutes". */
export const COMPARISON_TARGET_MINUTES = 5;

export interface SimBenchResult {
  users: number;
  days: number;
  timing: SimTiming;
  statementsPerSecond: number;
  /** Projected wall time of the standard comparison on this machine, in minutes. */
  projectedMinutes: number;
  print(): void;
}

export async function simBench(progress: (what: string) => void): Promise<SimBenchResult> {
  const users = num('BENCH_SIM_USERS', 300);
  const days = num('BENCH_SIM_DAYS', 30);
  progress(`simulator: default configuration, ${users} honest users × ${days} days on PGlite`);
  const { result, timing } = await runSimulation({
    config: findConfig('default')!,
    users,
    victims: Math.max(1, Math.round(users / 50)),
    days,
    seed: 42,
  });
  if (!result.ledgerVerified) throw new Error('the simulated ledger did not verify');
  const statementsPerSecond = Math.round(timing.statements / (timing.totalMs / 1000));
  const perConfigMs =
    timing.setupMs + (timing.totalMs - timing.setupMs) * (STANDARD.users / users) * (STANDARD.days / days);
  const lanes = Math.min(availableParallelism(), STANDARD.configs);
  const projectedMinutes = Math.round(((perConfigMs * Math.ceil(STANDARD.configs / lanes)) / 60_000) * 10) / 10;
  const print = () => {
    const rows: Cell[][] = Object.entries(timing.bySteps)
      .filter(([, s]) => s.ms >= 0.005 * timing.totalMs)
      .map(([kind, s]) => [
        kind,
        s.steps,
        Math.round((s.ms / s.steps) * 10) / 10,
        Math.round(s.statements / s.steps),
        `${Math.round((s.dbMs / Math.max(1, s.ms)) * 100)}%`,
        `${Math.round((s.ms / timing.totalMs) * 100)}%`,
      ]);
    printTable(
      `Simulator: where a simulated month goes (default, ${users} users × ${days} days, PGlite; ${Math.round(timing.totalMs / 1000)} s, setup ${Math.round(timing.setupMs / 1000)} s, ${timing.statements.toLocaleString('en-US')} statements, ${statementsPerSecond.toLocaleString('en-US')}/s)`,
      ['step', 'steps', 'ms/step', 'statements/step', 'in the database', 'of the run'],
      rows,
    );
  };
  return { users, days, timing, statementsPerSecond, projectedMinutes, print };
}
