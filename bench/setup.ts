import pg from 'pg';
import { seedParticipatingBanks } from '../src/banks/seed.ts';
import type { Database } from '../src/db/index.ts';
import { inTransaction } from '../src/db/index.ts';
import { amount } from '../src/money/index.ts';
import { type Services, createServices } from '../src/services.ts';
import { freshDatabase } from '../test/support/databases.ts';
import { StatementCounter } from './measure.ts';

/** The server's secret for bench runs (64 hex digits, as the configuration requires; not a real deployment's). */
export const BENCH_SECRET_KEY = '7d92f97ac5beaf236ed72a3582795f3295ec1196b19093946c27ca88a3aa1ad7';

export const PG_ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export type Kind = 'pglite' | 'postgres';

/** Scratch databases still open: dropped on the way out, even when a case throws or the run is interrupted. */
const open = new Set<Database>();

/** A fresh database for one bench case: in-memory PGlite, or a scratch PostgreSQL database `saifu_bench_<hex>`. */
export async function scratchDatabase(kind: Kind, poolSize = 32): Promise<Database> {
  const d = await freshDatabase(kind, poolSize, PG_ADMIN, 'saifu_bench');
  const tracked: Database = {
    ...d,
    close: async () => {
      if (!open.delete(tracked)) return;
      await d.close();
    },
  };
  open.add(tracked);
  return tracked;
}

/** Closes (and for PostgreSQL drops) every scratch database still open. */
export async function dropScratchDatabases(): Promise<void> {
  for (const d of [...open])
    await d.close().catch((e: unknown) => console.error(`could not drop a scratch database: ${String(e)}`));
}

export async function postgresVersion(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    const r = await c.query<{ server_version: string }>('SHOW server_version');
    return r.rows[0]?.server_version ?? 'unknown';
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => {});
  }
}

/** The service graph over a scratch database, every statement counted. */
export async function benchServices(
  database: Database,
  o: { risk?: boolean } = {},
): Promise<{ s: Services; statements: StatementCounter }> {
  const statements = new StatementCounter();
  const counted: Database = { ...database, db: database.db.withPlugin(statements) };
  const s = createServices({
    database: counted,
    secretKey: BENCH_SECRET_KEY,
    ...(o.risk === false ? { risk: false } : {}),
  });
  await seedParticipatingBanks(counted.db, s.clock);
  return { s, statements };
}

/** Funds ledger accounts from a bank clearing account (the money has to come from somewhere, balanced). */
export async function fund(s: Services, accountIds: string[], each: number): Promise<void> {
  const clearing = await s.ledger.bankClearingAccount(s.db, '0001');
  for (let i = 0; i < accountIds.length; i += 200) {
    const batch = accountIds.slice(i, i + 200);
    await inTransaction(s.db, (trx) =>
      s.ledger.transfer(
        trx,
        batch.map((id) => ({
          debitAccountId: clearing,
          creditAccountId: id,
          amount: amount(each),
          code: 'bench_funding',
        })),
      ),
    );
  }
}

/**
 * Wallet users for the HTTP bench, made directly (no argon2 per user: hashing 500 passwords would dominate the
 * set-up), each with a confirmed phone, a wallet funded from bank clearing and a session token.
 */
export async function benchUsers(s: Services, count: number): Promise<string[]> {
  const tokens: string[] = [];
  const walletAccounts: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = s.newId('usr');
    await s.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('users')
        .values({
          id,
          email: `bench${i}-${id}@example.test`,
          phone: `070${String(i).padStart(8, '0')}`,
          password_hash: 'not-a-login-account',
          phone_confirmed_at: s.clock.now(),
          verification: 'verified',
          created_at: s.clock.now(),
        })
        .execute();
      await s.wallet.accounts.openWallet(trx, id);
    });
    walletAccounts.push(await s.wallet.accounts.walletAccountOf(id));
    tokens.push(await s.identity.openSession(id));
  }
  await fund(s, walletAccounts, 900_000);
  return tokens;
}
