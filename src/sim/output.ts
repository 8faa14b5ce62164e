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
