import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, migrate, openDatabase } from '../../src/db/index.ts';

/** The integration suite runs on PGlite always and on PostgreSQL when TEST_DATABASE_URL is set. */
export const DATABASES: Array<'pglite' | 'postgres'> = process.env.TEST_DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];
export const HAS_POSTGRES = Boolean(process.env.TEST_DATABASE_URL);

/** A fresh, migrated database: in-memory PGlite, or a new scratch database on the PostgreSQL server (dropped on close). */
export async function freshDatabase(
  kind: 'pglite' | 'postgres',
  poolSize = 20,
  admin = process.env.TEST_DATABASE_URL,
  prefix = 'saifu_t',
): Promise<Database> {
  if (kind === 'pglite') {
    const d = await openDatabase({});
    await migrate(d.db);
    return d;
  }
  if (!admin) throw new Error('TEST_DATABASE_URL is not set');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const d = await openDatabase({ url: url.toString(), poolSize });
  await migrate(d.db);
  return {
    ...d,
    close: async () => {
      await d.close();
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
