import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, type LogEvent, PGliteDialect, PostgresDialect } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import * as m0001 from './migrations/0001_ledger.ts';
import * as m0002 from './migrations/0002_wallet.ts';
import * as m0003 from './migrations/0003_sandbox.ts';
import * as m0004 from './migrations/0004_identity.ts';
import * as m0005 from './migrations/0005_linking.ts';
import * as m0006 from './migrations/0006_ops.ts';
import * as m0007 from './migrations/0007_passkeys.ts';
import * as m0008 from './migrations/0008_identity_forgery.ts';
import * as m0009 from './migrations/0009_attempts.ts';
import * as m0010 from './migrations/0010_money_confirm.ts';
import * as m0011 from './migrations/0011_identity_documents.ts';
import * as m0012 from './migrations/0012_link_pending.ts';
import * as m0013 from './migrations/0013_idempotency_objects.ts';
import * as m0014 from './migrations/0014_cases.ts';
import * as m0015 from './migrations/0015_risk.ts';
import * as m0016 from './migrations/0016_risk_decisions.ts';
import * as m0017 from './migrations/0017_risk_events.ts';
import * as m0018 from './migrations/0018_link_review.ts';
import * as m0019 from './migrations/0019_operator_security.ts';
import * as m0020 from './migrations/0020_outbox.ts';
import * as m0021 from './migrations/0021_incidents.ts';
import * as m0022 from './migrations/0022_merchants.ts';
import * as m0023 from './migrations/0023_withdrawal_accounts.ts';
import * as m0024 from './migrations/0024_risk_events_time_brin.ts';
import * as m0025 from './migrations/0025_link_purpose.ts';
import * as m0026 from './migrations/0026_link_lookups.ts';
import type { DB } from './schema.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const DATE_OID = 1082;

/** int8 as a JS number: every amount and sum is far inside the safe-integer range; anything outside is a bug. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 out of safe range: ${value}`);
  return n;
}
/** Dates stay 'YYYY-MM-DD' strings on both drivers: a birth date is not an instant. */
const keepDate = (value: string): string => value;

pg.types.setTypeParser(INT8_OID, parseInt8);
pg.types.setTypeParser(NUMERIC_OID, parseInt8);
pg.types.setTypeParser(DATE_OID, keepDate);

/**
 * Kysely sends every query unnamed, so PostgreSQL parses and plans it on each call. Giving each distinct query
 * text a name (a hash of it) makes pg prepare it once per connection and reuse it, which removes most of the
 * database's per-query CPU on the hot paths. Only plain DML/SELECT is named (DDL stays unnamed).
 */
function preparingPool(pool: pg.Pool): pg.Pool {
  const name = (text: string) => `q${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const wrapped = Object.create(pool) as pg.Pool;
  const prepared = new WeakSet<pg.PoolClient>();
  wrapped.connect = (async () => {
    const client = await connect();
    // The pool hands out the same clients again and again: wrap each one once.
    if (prepared.has(client)) return client;
    prepared.add(client);
    const query = client.query.bind(client) as (config: unknown, values?: unknown) => Promise<unknown>;
    (client as unknown as { query: unknown }).query = (text: unknown, values?: unknown[]) =>
      typeof text === 'string' && /^\s*(select|insert|update|delete|with)\b/i.test(text)
        ? query({ name: name(text), text, values })
        : query(text, values);
    return client;
  }) as unknown as pg.Pool['connect'];
  return wrapped;
}

export interface Database {
  db: Kysely<DB>;
  kind: 'pglite' | 'postgres';
  /** The connection URL, for PostgreSQL. */
  url?: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgres:// URL; absent = embedded PGlite. */
  url?: string | undefined;
  /** PGlite data directory; absent = in memory. */
  dataDir?: string | undefined;
  /** PostgreSQL pool size. */
  poolSize?: number;
  onIdleError?: (err: Error) => void;
  /** Called after every statement with its duration (the simulator's accounting of where a run's time goes). */
  onStatement?: (ms: number) => void;
}

/** Kysely's log hook when a caller counts statements; none otherwise (the hook costs a closure call per query). */
function statementLog(options: DatabaseOptions): { log?: (e: LogEvent) => void } {
  const on = options.onStatement;
  return on ? { log: (e) => on(e.queryDurationMillis) } : {};
}

/**
 * A new, empty database on the PostgreSQL server `adminUrl` points at (its database is only used to connect), for
 * a run that needs one of its own (the simulator's comparison: one per configuration). `drop` removes it.
 */
export async function createScratchDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 20 });
    // An idle client whose server connection drops (restart, failover, a dropped database) emits 'error'; the pool
    // discards it and connects a new one on next use, so the event must not crash the process.
    pool.on('error', (err) => options.onIdleError?.(err));
    const db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool: preparingPool(pool) }),
      ...statementLog(options),
    });
    return { db, kind: 'postgres', url: options.url, close: () => db.destroy() };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // The options-object form: with a positional undefined data dir, PGlite ignores the options.
  const pglite = new PGlite({
    ...(options.dataDir ? { dataDir: `${options.dataDir}/pgdata` } : {}),
    parsers: { [INT8_OID]: parseInt8, [NUMERIC_OID]: parseInt8, [DATE_OID]: keepDate },
  });
  await pglite.waitReady;
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }), ...statementLog(options) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}

const migrations: Record<string, Migration> = {
  '0001_ledger': m0001,
  '0002_wallet': m0002,
  '0003_sandbox': m0003,
  '0004_identity': m0004,
  '0005_linking': m0005,
  '0006_ops': m0006,
  '0007_passkeys': m0007,
  '0008_identity_forgery': m0008,
  '0009_attempts': m0009,
  '0010_money_confirm': m0010,
  '0011_identity_documents': m0011,
  '0012_link_pending': m0012,
  '0013_idempotency_objects': m0013,
  '0014_cases': m0014,
  '0015_risk': m0015,
  '0016_risk_decisions': m0016,
  '0017_risk_events': m0017,
  '0018_link_review': m0018,
  '0019_operator_security': m0019,
  '0020_outbox': m0020,
  '0021_incidents': m0021,
  '0022_merchants': m0022,
  '0023_withdrawal_accounts': m0023,
  '0024_risk_events_time_brin': m0024,
  '0025_link_purpose': m0025,
  '0026_link_lookups': m0026,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every migration not yet applied; throws with the failing migration's error. */
export async function migrate(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
