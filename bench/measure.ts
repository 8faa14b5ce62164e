/**
 * What the bench measures besides throughput: latency percentiles, CPU time per process (on a 2-core machine the
 * server, the load generator and PostgreSQL compete for the same cores, so where the CPU goes is half the story),
 * and statements per request (counted by a Kysely plugin on the application's side, transactions by PostgreSQL).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { clockTicks } from './machine.ts';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
export const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 when unreadable. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return 0;
  }
}

/** Processes by command name: `postgres` (the server and its backends), `pgbench` (the baseline's client). */
function pidsByName(): Map<number, string> {
  const pids = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (name === 'postgres' || name === 'pgbench') pids.set(Number(entry), name);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Busy and total CPU time of the whole machine so far (ticks, all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3]! - fields[4]!, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

export interface CpuUse {
  /** Cores busy on average in this process (the app, and PGlite when it runs in process). */
  self: number;
  /** … in the processes given to start()/stop() (the `saifu serve` workers). */
  other: number;
  postgres: number;
  pgbench: number;
  /** The whole machine (all processes, kernel, interrupts): what is left once the bench's share is taken is noise. */
  machine: number;
  wall: number;
}

/**
 * CPU used between start() and stop(), in cores busy on average. PostgreSQL's and pgbench's processes are sampled
 * every 200 ms, so processes that come and go during the run (pgbench's backends) are counted up to their last
 * sample; those that started meanwhile count from zero.
 */
export function cpuMeter() {
  let t0 = 0;
  let self0 = 0;
  let machine0 = { busy: 0, total: 0 };
  let named0 = new Map<number, number>();
  const last = new Map<number, { name: string; cpu: number }>();
  let other0 = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  const sample = () => {
    for (const [pid, name] of pidsByName()) {
      const cpu = cpuSecondsOf(pid);
      if (cpu > 0) last.set(pid, { name, cpu });
    }
  };
  return {
    start(otherPids: number[] = []): void {
      t0 = performance.now();
      self0 = cpuSecondsOf(process.pid);
      machine0 = machineTicks();
      named0 = new Map([...pidsByName().keys()].map((p) => [p, cpuSecondsOf(p)]));
      last.clear();
      other0 = new Map(otherPids.map((p) => [p, cpuSecondsOf(p)]));
      timer = setInterval(sample, 200);
      timer.unref();
    },
    stop(otherPids: number[] = []): CpuUse {
      clearInterval(timer);
      sample();
      const wall = (performance.now() - t0) / 1000;
      const machine1 = machineTicks();
      const sums = { postgres: 0, pgbench: 0 };
      for (const [pid, { name, cpu }] of last) sums[name as keyof typeof sums] += cpu - (named0.get(pid) ?? 0);
      const other = otherPids.reduce((sum, p) => sum + cpuSecondsOf(p) - (other0.get(p) ?? 0), 0);
      const cores = machine1.total > machine0.total ? (machine1.total - machine0.total) / clockTicks() / wall : 0;
      const machine =
        machine1.total > machine0.total
          ? ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * cores
          : 0;
      return {
        self: round((cpuSecondsOf(process.pid) - self0) / wall),
        other: round(other / wall),
        postgres: round(sums.postgres / wall),
        pgbench: round(sums.pgbench / wall),
        machine: round(machine),
        wall,
      };
    },
  };
}

/**
 * Counts the statements the application executes, by kind (select, insert, update, with …). Counted when a result
 * comes back, so a statement built only to be embedded in another (the payment's `alongside` rows) is not counted.
 */
export class StatementCounter implements KyselyPlugin {
  readonly byKind = new Map<string, number>();
  private readonly pending = new Map<unknown, string>();
  total = 0;

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    // A statement that fails never reports a result: do not let their entries pile up.
    if (this.pending.size > 10_000) this.pending.clear();
    this.pending.set(args.queryId, kindOf(args.node));
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const kind = this.pending.get(args.queryId) ?? 'other';
    this.pending.delete(args.queryId);
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    this.total++;
    return args.result;
  }

  reset(): void {
    this.byKind.clear();
    this.total = 0;
  }

  /** "1.00 with, 0.25 select" per request. */
  describe(requests: number): string {
    return [...this.byKind.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${(n / Math.max(1, requests)).toFixed(2)} ${k}`)
      .join(', ');
  }
}

function kindOf(node: RootOperationNode): string {
  if (node.kind !== 'RawNode') return node.kind.replace(/QueryNode$/, '').toLowerCase();
  const first = (node as { sqlFragments?: readonly string[] }).sqlFragments?.[0] ?? '';
  return /^\s*(\w+)/.exec(first)?.[1]?.toLowerCase() ?? 'raw';
}
