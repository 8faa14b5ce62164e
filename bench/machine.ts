/** The machine a figure was measured on: absolute figures mean little without it. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';

let ticks: number | undefined;
/** Kernel clock ticks per second (the unit of /proc/<pid>/stat CPU times). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export function describeMachine(postgresVersion: string | undefined): string {
  let nproc = String(availableParallelism());
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // availableParallelism() says the same on Linux
  }
  const model = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  return [
    `nproc ${nproc} (${model}), ${memory}`,
    `node ${process.version}`,
    postgresVersion ? `PostgreSQL ${postgresVersion}` : 'PostgreSQL not reachable',
  ].join(' · ');
}
