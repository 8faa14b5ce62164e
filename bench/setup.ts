import pg from 'pg';
import { seedParticipatingBanks } from '../src/banks/seed.ts';
import type { Database } from '../src/db/index.ts';
import { inTransaction } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { type Services, createServices } from '../src/services.ts';
import { freshDatabase } from '../test/support/databases.ts';

export const PG_ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database for one bench case: in-memory PGlite, or a scratch PostgreSQL database dropped afterwards. */
export const scratchDatabase = (kind: 'pglite' | 'postgres', poolSize = 32): Promise<Database> => freshDatabase(kind, poolSize, PG_ADMIN, 'saifu_bench');

export async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export async function benchServices(database: Database): Promise<Services> {
  const s = createServices({ database, secretKey: 'bench-secret-bench-secret-bench-secret' });
  await seedParticipatingBanks(database.db, s.clock);
  return s;
}

/** Funds ledger accounts from a bank clearing account (the money has to come from somewhere, balanced). */
export async function fund(s: Services, accountIds: string[], each: number): Promise<void> {
  const clearing = await s.ledger.bankClearingAccount(s.db, '0001');
  for (let i = 0; i < accountIds.length; i += 200) {
    const batch = accountIds.slice(i, i + 200);
    await inTransaction(s.db, (trx) => s.ledger.transfer(trx, batch.map((id) => ({ debitAccountId: clearing, creditAccountId: id, amount: amount(each), code: 'bench_funding' }))));
  }
}

/**
 * Wallet users for the HTTP bench, made directly (no argon2 per user: hashing 500 passwords would dominate the
 * set-up), each with a confirmed phone, a funded wallet and a session token.
 */
export async function benchUsers(s: Services, count: number): Promise<string[]> {
  const tokens: string[] = [];
  const walletAccounts: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = s.newId('usr');
    await s.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ id, email: `bench${i}-${id}@example.test`, phone: `070${String(i).padStart(8, '0')}`, password_hash: 'not-a-login-account', phone_confirmed_at: s.clock.now(), verification: 'verified', created_at: s.clock.now() }).execute();
      walletAccounts.push(await s.wallet.accounts.openWallet(trx, id));
    });
    tokens.push(await s.identity.openSession(id));
  }
  await fund(s, walletAccounts, 900_000);
  return tokens;
}
