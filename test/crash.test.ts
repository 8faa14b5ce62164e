import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedParticipatingBanks } from '../src/banks/seed.ts';
import { migrate, openDatabase } from '../src/db/index.ts';
import { ManualClock } from '../src/platform/index.ts';
import { createServices } from '../src/services.ts';
import { HAS_POSTGRES } from './support/databases.ts';
import { type Customer, type World, customer } from './support/world.ts';

const ADMIN = process.env.TEST_DATABASE_URL ?? '';

/**
 * kill -9 of the real `saifu serve` while a charge is in flight, then a restart and a retry with the same
 * Idempotency-Key: the retry gets the charge (not 409), and the ledger verifies. The child and this test share a
 * scratch PostgreSQL database; a row lock taken here holds the request at a known point.
 */
describe.skipIf(!HAS_POSTGRES)('a server killed mid-request (PostgreSQL)', () => {
  let url: string;
  let dbName: string;
  let w: World;
  let alice: Customer;
  let server: { child: ChildProcess; port: number; out: string[] } | undefined;
  const admin = new pg.Client({ connectionString: ADMIN });

  beforeAll(async () => {
    dbName = `saifu_crash_${randomBytes(5).toString('hex')}`;
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const u = new URL(ADMIN);
    u.pathname = `/${dbName}`;
    url = u.toString();
    const database = await openDatabase({ url, poolSize: 5 });
    await migrate(database.db);
    const clock = new ManualClock(new Date());
    await seedParticipatingBanks(database.db, clock);
    w = { ...createServices({ database, clock }), clock, close: () => database.close() };
    alice = await customer(w);
  }, 60_000);

  afterAll(async () => {
    if (server) kill(server.child);
    await w?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  const freePort = () =>
    new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });

  async function start() {
    const port = await freePort();
    const out: string[] = [];
    const child = spawn(process.execPath, ['bin/saifu.mjs', 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        SAIFU_DATA_DIR: mkdtempSync(join(tmpdir(), 'saifu-crash-')),
        SAIFU_LOG_LEVEL: 'warn',
        SAIFU_INQUIRY_DELAY_MS: '600000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { child, port, out };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`saifu serve did not start: ${out.join('')}`);
  }

  function kill(child: ChildProcess) {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  }

  const charge = (port: number, key: string, amount: number) =>
    fetch(`http://127.0.0.1:${port}/v1/charges`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ bankLinkId: alice.link.id, amount }),
    });

  /** Holds a row lock from outside the server until released: the request waits on it at a known step. */
  async function lockRow(query: string, params: unknown[]) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('BEGIN');
    await c.query(query, params);
    return async () => {
      await c.query('ROLLBACK');
      await c.end();
    };
  }

  async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const v = await probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const chargesOfAlice = () =>
    w.db.selectFrom('charges').select(['id', 'status']).where('user_id', '=', alice.actor.id).orderBy('id').execute();

  it('killed while the bank is debiting: the retry answers 201 with the charge, not 409; nothing is charged twice', async () => {
    server = await start();
    const release = await lockRow('SELECT 1 FROM sandbox_bank_accounts WHERE account_number = $1 FOR UPDATE', [
      alice.bankAccount.accountNumber,
    ]);
    const key = `crash-${randomBytes(4).toString('hex')}`;
    const inFlight = charge(server.port, key, 4_000).catch(() => undefined);
    const chg = await waitFor(
      async () => (await chargesOfAlice()).find((c) => c.status === 'pending'),
      'the pending charge',
    );
    kill(server.child);
    await inFlight;
    await release();

    server = await start();
    const retry = await charge(server.port, key, 4_000);
    expect(retry.status).toBe(201);
    const body = (await retry.json()) as { id: string; status: string };
    expect(body.id).toBe(chg.id);
    expect(['pending', 'succeeded', 'failed']).toContain(body.status);
    expect(await chargesOfAlice()).toHaveLength(1);
    const other = await charge(server.port, key, 4_001);
    expect(other.status).toBe(422);
    kill(server.child);
  }, 60_000);

  it('killed before the charge committed: the key is free again and the retry charges once', async () => {
    server = await start();
    const before = (await chargesOfAlice()).length;
    const release = await lockRow('SELECT 1 FROM wallets WHERE user_id = $1 FOR UPDATE', [alice.actor.id]);
    const key = `crash-${randomBytes(4).toString('hex')}`;
    const inFlight = charge(server.port, key, 3_000).catch(() => undefined);
    // The request is waiting on the wallet's lock inside its transaction (nothing committed yet).
    await waitFor(async () => {
      const r = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
        [dbName],
      );
      return r.rows[0].n > 0 ? true : undefined;
    }, 'the request to wait on the wallet lock');
    kill(server.child);
    await inFlight;
    await release();

    server = await start();
    const retry = await charge(server.port, key, 3_000);
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as { status: string }).status).toBe('succeeded');
    expect(await chargesOfAlice()).toHaveLength(before + 1);
    const again = await charge(server.port, key, 3_000);
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    kill(server.child);

    const verify = spawnSync(process.execPath, ['bin/saifu.mjs', 'ledger', 'verify'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, SAIFU_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('ledger ok');
  }, 60_000);
});
