import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import { runComparison } from './compare.ts';
import { CONFIGS, CONFIG_NAMES, type SimConfig, findConfig } from './configs.ts';
import { assertWritableDir, timingText, writeRun } from './output.ts';
import { summaryRows, textTable } from './report.ts';
import { runSimulation } from './run.ts';

/** `saifu sim` options as commander hands them over (strings, unchecked). */
export interface SimCommandInput {
  config: string;
  users: string;
  victims: string;
  days: string;
  seed: string;
  out: string;
  databaseUrl?: string;
  target?: string;
  quiet?: boolean;
}

/** A bad option: the command prints its message as one line and exits 2. */
export class SimUsageError extends Error {}

function count(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new SimUsageError(`--${name} must be a whole number ≥ ${min} (got '${value}')`);
  return n;
}

/** Parses and checks every option before anything runs. */
export function parseSimOptions(i: SimCommandInput) {
  if (i.config !== 'all' && !findConfig(i.config))
    throw new SimUsageError(`unknown --config '${i.config}' (one of: all, ${CONFIG_NAMES.join(', ')})`);
  const o = {
    config: i.config,
    users: count('users', i.users, 0),
    victims: count('victims', i.victims, 0),
    days: count('days', i.days, 1),
    seed: count('seed', i.seed, 0),
    out: i.out,
    quiet: i.quiet === true,
    ...(i.databaseUrl ? { databaseUrl: i.databaseUrl } : {}),
    ...(i.target ? { target: i.target } : {}),
  };
  if (o.databaseUrl !== undefined && !/^postgres(ql)?:\/\/./.test(o.databaseUrl))
    throw new SimUsageError(`--database-url must be a postgres:// URL (got '${o.databaseUrl}')`);
  if (o.target !== undefined) {
    if (!/^https?:\/\/[^/]+/.test(o.target))
      throw new SimUsageError(`--target must be an http:// or https:// URL (got '${o.target}')`);
    // Over HTTP the simulator cannot switch Saifu's settings: only configurations that keep them as shipped run.
    const runnable = CONFIGS.filter(keepsSettings).map((c) => c.name);
    if (o.config === 'all')
      throw new SimUsageError(
        `--target runs one configuration against the server as it is configured (one of: ${runnable.join(', ')}), not --config all`,
      );
    if (!runnable.includes(o.config))
      throw new SimUsageError(
        `--target drives the server as it is configured; --config ${o.config} changes Saifu's own settings (with --target: ${runnable.join(', ')})`,
      );
  }
  try {
    assertWritableDir(o.out);
  } catch (e) {
    throw new SimUsageError((e as Error).message);
  }
  return o;
}

/** Runs `saifu sim`: one configuration (progress bar by simulated day, then the table), or all of them. */
export async function simCommand(input: SimCommandInput): Promise<void> {
  const o = parseSimOptions(input);
  if (o.config === 'all') {
    const bin = fileURLToPath(new URL('../../bin/saifu.mjs', import.meta.url));
    // Progress in simulated days over every configuration (configurations finish out of order, two or more at once).
    const bar = new SingleBar({
      format:
        'sim {bar} {percentage}% of {total} configuration-days  {configs}/{count} configurations done  ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    });
    bar.start(CONFIG_NAMES.length * o.days, 0, { configs: 0, count: CONFIG_NAMES.length });
    const { results, wallMs } = await runComparison({
      ...o,
      bin,
      onDone: (_c, d) => bar.update({ configs: d }),
      onDays: (d) => bar.update(d),
    });
    bar.stop();
    process.stdout.write(
      `${textTable(summaryRows(results))}\n\n${o.out}/report.html  (${(wallMs / 1000).toFixed(0)} s)\n`,
    );
    return;
  }
  const config = findConfig(o.config)!;
  const bar = o.quiet
    ? undefined
    : new SingleBar({
        format: `sim ${config.name} {bar} day {value}/{total}  ETA {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 10,
      });
  bar?.start(o.days, 0);
  const { result, timing } = await runSimulation({
    ...o,
    config,
    onProgress: (d) => {
      bar?.update(d);
      // Run by the standard comparison (forked with an IPC channel): tell the parent's bar.
      process.send?.({ simDay: d });
    },
  });
  bar?.stop();
  writeRun(o.out, result, timing);
  if (!o.quiet)
    process.stdout.write(
      `${textTable(summaryRows([result]))}\n\n${timingText(timing)}\n${o.out}/result.json, timing.json, report.html\n`,
    );
  if (Object.keys(timing.unexpectedErrors).length > 0)
    process.stderr.write(`sim ${config.name}: unexpected errors ${JSON.stringify(timing.unexpectedErrors)}\n`);
}

/** A configuration that runs Saifu with its shipped settings (only the campaign differs from `default`). */
function keepsSettings(c: SimConfig): boolean {
  const d = findConfig('default')!;
  return (
    JSON.stringify([c.linkingPolicy, c.walletPolicy, c.risk, c.legacyPinBanks]) ===
    JSON.stringify([d.linkingPolicy, d.walletPolicy, d.risk, d.legacyPinBanks])
  );
}
