/** (a) The ledger alone: N workers posting one-yen transfers for a fixed time, no HTTP, no use case around them. */
import { verifyLedger } from '../src/ledger/index.ts';
import { inTransaction } from '../src/db/index.ts';
import { amount } from '../src/money/index.ts';
import { cpuMeter, percentile, round } from './measure.ts';
import { type Kind, benchServices, fund, scratchDatabase } from './setup.ts';

export type Mode = 'uniform' | 'hot';
/**
 * `transfer`: `inTransaction(db, trx => ledger.transfer(trx, [t]))`, the general path every other use case takes
 * (BEGIN, one movement statement, COMMIT). `atomic`: `ledger.transferAtomically`, the one-statement path payments take.
 */
export type LedgerVariant = 'transfer' | 'atomic';

export interface LedgerResult {
  tps: number;
  p50: number;
  p99: number;
  count: number;
  failed: number;
  verified: boolean;
  statementsPerTx: number;
  /** Cores busy on average: this process (the app, and PGlite itself when it runs in process), PostgreSQL, the rest of the machine. */
  cpu: { app: number; postgres: number; rest: number };
}

export async function ledgerBench(o: {
  kind: Kind;
  mode: Mode;
  variant: LedgerVariant;
  seconds: number;
  workers: number;
  wallets: number;
}): Promise<LedgerResult> {
  const database = await scratchDatabase(o.kind);
  try {
    const { s, statements } = await benchServices(database);
    const wallets: string[] = [];
    for (let i = 0; i < o.wallets; i++)
      wallets.push(await s.ledger.createAccount(s.db, { kind: 'wallet', ownerId: `bench_${i}` }));
    const merchant = await s.ledger.createAccount(s.db, { kind: 'merchant', ownerId: 'mer_bench' });
    await fund(s, wallets, 1_000_000);

    const pick = () => wallets[Math.floor(Math.random() * wallets.length)]!;
    const move = async (debitAccountId: string, creditAccountId: string) => {
      const t = [{ debitAccountId, creditAccountId, amount: amount(1), code: 'bench' }];
      if (o.variant === 'atomic') await s.ledger.transferAtomically(s.db, t, () => []);
      else await inTransaction(s.db, (trx) => s.ledger.transfer(trx, t));
    };
    const latencies: number[] = [];
    let failed = 0;
    statements.reset();
    const meter = cpuMeter();
    meter.start();
    const started = performance.now();
    const until = started + o.seconds * 1000;
    const worker = async () => {
      while (performance.now() < until) {
        const from = pick();
        let to = o.mode === 'hot' ? merchant : pick();
        while (to === from) to = pick();
        const t0 = performance.now();
        try {
          await move(from, to);
          latencies.push(performance.now() - t0);
        } catch (e) {
          if (++failed === 1) console.error(`ledger ${o.kind}/${o.mode}/${o.variant}: ${String(e)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.workers }, worker));
    const elapsed = (performance.now() - started) / 1000;
    const cpu = meter.stop();
    const statementCount = statements.total;
    latencies.sort((a, b) => a - b);
    const verified = (await verifyLedger(s.db)).length === 0;
    const n = latencies.length;
    return {
      tps: Math.round(n / elapsed),
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      count: n,
      failed,
      verified,
      statementsPerTx: round(statementCount / Math.max(1, n + failed)),
      cpu: { app: cpu.self, postgres: cpu.postgres, rest: round(Math.max(0, cpu.machine - cpu.self - cpu.postgres)) },
    };
  } finally {
    await database.close();
  }
}
