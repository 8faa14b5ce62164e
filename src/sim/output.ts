import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SimResult } from './metrics.ts';
import { reportHtml } from './report.ts';
import type { SimTiming } from './run.ts';

/**
 * Checks that `dir` can be written (creating it), before a run spends minutes: the one clear line is the error's
 * message.
 */
export function assertWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new Error(`--out ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** result.json (deterministic), timing.json (wall clock) and report.html for one run. */
export function writeRun(dir: string, result: SimResult, timing: SimTiming): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, 'timing.json'), `${JSON.stringify(timing, null, 2)}\n`);
  writeFileSync(join(dir, 'report.html'), reportHtml([result]));
}

export function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * Where a run's wall time went, by kind of step: steps, milliseconds per step, database statements per step and
 * the share of the step spent inside the database. Printed after a run; the same figures are in timing.json.
 */
export function timingText(t: SimTiming): string {
  const lines = [
    `${(t.totalMs / 1000).toFixed(0)} s: setup ${(t.setupMs / 1000).toFixed(1)} s, ${t.statements.toLocaleString('en')} statements (${Math.round((t.dbMs / Math.max(1, t.totalMs)) * 100)}% of the time inside the database)`,
  ];
  for (const [kind, s] of Object.entries(t.bySteps).slice(0, 8)) {
    if (s.ms < 0.01 * t.totalMs) continue;
    const per = (n: number) => (s.steps === 0 ? 0 : n / s.steps);
    lines.push(
      `  ${kind.padEnd(18)} ${String(s.steps).padStart(7)} steps  ${per(s.ms).toFixed(1).padStart(6)} ms/step  ${per(s.statements).toFixed(0).padStart(4)} statements/step  ${Math.round((s.ms / Math.max(1, t.totalMs)) * 100)}% of the run`,
    );
  }
  return lines.join('\n');
}
