import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type Platform, startPlatform } from '../src/main.ts';
import { buildApp } from '../src/http/index.ts';
import { SimTargetError, findConfig, runSimulation } from '../src/sim/index.ts';
import type { SimResult } from '../src/sim/index.ts';
import { createDice } from '../src/sim/random.ts';
import { openSimWorld } from '../src/sim/world.ts';
import { HAS_POSTGRES, freshDatabase } from './support/databases.ts';

/**
 * `saifu sim --target`: the simulated people drive a running server over HTTP (its clock moved through
 * /sandbox/clock, each person's device and address in X-Device-Id and X-Forwarded-For), and the measurements come
 * from the banks' statements, or from the server's database when the simulator is given it.
 */
const SMALL = { users: 30, victims: 6, days: 3, seed: 11 };

async function server(env: Record<string, string>): Promise<{ platform: Platform; url: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'saifu-target-'));
  const config = loadConfig({
    SAIFU_DATA_DIR: dir,
    SAIFU_LOG_LEVEL: 'silent',
    SAIFU_SANDBOX_CLOCK: '1',
    SAIFU_TRUST_PROXY: '1',
    PORT: '0',
    ...env,
  });
  const platform = await startPlatform(config, { jobs: false });
  const { port } = platform.app.server.address() as AddressInfo;
  return { platform, url: `http://127.0.0.1:${port}`, dir };
}

describe('the simulator against a running server (--target)', () => {
  let s: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    s = await server({});
  });
  afterAll(async () => {
    await s?.platform.close();
    if (s) rmSync(s.dir, { recursive: true, force: true });
  });

  it('drives Saifu as shipped over HTTP: ¥0 lost, honest people charge and pay, nothing unexpected', {
    timeout: 240_000,
  }, async () => {
    const before = s.platform.services.clock.now().getTime();
    const { result, timing } = await runSimulation({ ...SMALL, config: findConfig('default')!, target: s.url });
    expect(timing.unexpectedErrors).toEqual({});
    expect(result.stolenYen).toBe(0);
    expect(result.victimsHit).toBe(0);
    expect(result.attackSteps).toBeGreaterThan(0);
    expect(Object.values(result.stopsByLayer).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(result.honestMoneyObjects).toBeGreaterThan(SMALL.users);
    expect(result.honestBlocked).toBe(0);
    // Only the API was reachable: the ledger and the cases are the server's to check.
    expect(result.ledgerVerified).toBeNull();
    expect(result.casesOpened).toBeNull();
    // The server's clock went where the simulator took it: past the simulated days.
    const after = s.platform.services.clock.now().getTime();
    expect(after - before).toBeGreaterThanOrEqual((SMALL.days - 1) * 86_400_000);
    // The people really are the server's users, made through its API.
    const users = await s.platform.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('email', 'like', 'h%@example.test')
      .executeTakeFirstOrThrow();
    expect(Number(users.n)).toBe(SMALL.users);
  });

  it('a server that already holds a simulation refuses a second one with one line', async () => {
    const e = await runSimulation({ ...SMALL, config: findConfig('default')!, target: s.url }).catch((x) => x);
    expect(e).toBeInstanceOf(SimTargetError);
    expect((e as Error).message).toMatch(/already holds a simulation's people; start it on an empty database/);
  });
});

describe('--target measures losses from the banks', () => {
  it('a SIM swap takes what the cooling-off cap lets through; the victims statements show it', {
    timeout: 240_000,
  }, async () => {
    const s = await server({});
    try {
      const { result } = await runSimulation({
        users: 10,
        victims: 6,
        days: 3,
        seed: 11,
        config: findConfig('sim-swap')!,
        target: s.url,
      });
      expect(result.stolenYen).toBeGreaterThan(0);
      expect(result.victimsHit).toBeGreaterThan(0);
      // The ¥10,000 a day a new link may take while it cools off, per victim.
      expect(result.stolenYen).toBeLessThanOrEqual(10_000 * SMALL.days * result.victimsHit);
      // The same figure from Saifu's own records: the succeeded charges on links the server's attackers made.
      const charged = await s.platform.database.db
        .selectFrom('charges')
        .innerJoin('users', 'users.id', 'charges.user_id')
        .select((eb) => eb.fn.sum<number>('charges.amount').as('yen'))
        .where('charges.status', '=', 'succeeded')
        .where('users.email', 'like', 'drop%')
        .executeTakeFirstOrThrow();
      expect(result.stolenYen).toBe(Number(charged.yen));
    } finally {
      await s.platform.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('a server that stops answering mid-run stops the run with one line', { timeout: 120_000 }, async () => {
    const s = await server({});
    let closed = false;
    try {
      const run = runSimulation({
        ...SMALL,
        days: 10,
        config: findConfig('default')!,
        target: s.url,
        // The server goes away after the first simulated day.
        onProgress: (d) => {
          if (d === 1 && !closed) {
            closed = true;
            void s.platform.close();
          }
        },
      });
      const e = await run.catch((x) => x);
      expect(closed).toBe(true);
      expect(e).toBeInstanceOf(SimTargetError);
      expect((e as Error).message).toMatch(/stopped answering .*the run stops here/);
      expect((e as Error).message).not.toContain('\n');
    } finally {
      if (!closed) await s.platform.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('a server that ignores X-Forwarded-For is refused with one line naming SAIFU_TRUST_PROXY', async () => {
    const s = await server({ SAIFU_TRUST_PROXY: '' });
    try {
      const e = await runSimulation({ ...SMALL, config: findConfig('default')!, target: s.url }).catch((x) => x);
      expect(e).toBeInstanceOf(SimTargetError);
      expect((e as Error).message).toMatch(/not X-Forwarded-For; start it with SAIFU_TRUST_PROXY=1/);
      expect((e as Error).message).not.toContain('\n');
    } finally {
      await s.platform.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('saifu sim --target exits 1 with one line when nothing answers, and 2 for a configuration it cannot run', () => {
    const out = mkdtempSync(join(tmpdir(), 'saifu-target-cli-'));
    const sim = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/saifu.mjs', 'sim', '--users', '1', '--days', '1', '--out', out, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    try {
      const down = sim('--target', 'http://127.0.0.1:9');
      expect(down.status, down.stderr).toBe(1);
      expect(down.stderr).toMatch(/^saifu sim: --target http:\/\/127\.0\.0\.1:9: no server answers there/);
      expect(down.stderr.trim()).not.toContain('\n');
      const ablation = sim('--target', 'http://127.0.0.1:9', '--config', 'no-risk');
      expect(ablation.status, ablation.stderr).toBe(2);
      expect(ablation.stderr).toMatch(/--config no-risk changes Saifu's own settings/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a server on the wall clock is refused with one line naming SAIFU_SANDBOX_CLOCK', async () => {
    const s = await server({ SAIFU_SANDBOX_CLOCK: '' });
    const users = () => s.platform.database.db.selectFrom('users').select('id').execute();
    const seeded = (await users()).length;
    try {
      const e = await runSimulation({ ...SMALL, config: findConfig('default')!, target: s.url }).catch((x) => x);
      expect(e).toBeInstanceOf(SimTargetError);
      expect((e as Error).message).toMatch(/SAIFU_SANDBOX_CLOCK=1/);
      expect((e as Error).message).not.toContain('\n');
      // Nothing was done to it.
      expect(await users()).toHaveLength(seeded);
    } finally {
      await s.platform.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAS_POSTGRES)('--target with the server database (PostgreSQL)', () => {
  it('reads the measurements from the server database: the ledger verifies and the cases are counted', {
    timeout: 240_000,
  }, async () => {
    const database = await freshDatabase('postgres');
    const url = (database as { url?: string }).url!;
    const s = await server({ DATABASE_URL: url });
    try {
      const { result } = await runSimulation({
        ...SMALL,
        config: findConfig('default')!,
        target: s.url,
        databaseUrl: url,
      });
      expect(result.stolenYen).toBe(0);
      expect(result.ledgerVerified).toBe(true);
      expect(result.casesOpened).toEqual(expect.any(Number));
      const cases = await s.platform.database.db.selectFrom('cases').select('id').execute();
      expect(result.casesOpened).toBe(cases.length);
    } finally {
      await s.platform.close();
      rmSync(s.dir, { recursive: true, force: true });
      await database.close();
    }
  });
});

/**
 * The HTTP client is a faithful twin of the in-process one: a server built over the very world the in-process run
 * opens (same configuration, simulated start, seeded ids and hashing cost) gives the same result.json for a seed,
 * request by request through the routes. Cases and the ledger are read from the database in-process only.
 */
describe('over HTTP, the same seed gives the same result as in-process', () => {
  const TWIN = { users: 100, victims: 10, days: 4, seed: 7 };
  const strip = ({ casesOpened: _c, casesByKind: _k, ledgerVerified: _l, ...rest }: SimResult) => rest;
  it.each(['default', '2020'])('%s', { timeout: 240_000 }, async (name) => {
    const config = findConfig(name)!;
    const world = await openSimWorld(config, createDice(TWIN.seed).fork('world'));
    const app = await buildApp(world, { sandbox: true, trustProxy: true, logLevel: 'silent' });
    let http: SimResult;
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      const run = await runSimulation({ ...TWIN, config, target: `http://127.0.0.1:${port}` });
      expect(run.timing.unexpectedErrors).toEqual({});
      http = run.result;
    } finally {
      await app.close();
      await world.close();
    }
    const inProcess = (await runSimulation({ ...TWIN, config })).result;
    expect(JSON.stringify(strip(http), null, 1)).toBe(JSON.stringify(strip(inProcess), null, 1));
    expect(http.ledgerVerified).toBeNull();
    // Not a run where nothing happens: money moved, and the 2020 service lost some.
    expect(http.honestMoneyObjects).toBeGreaterThan(100);
    if (name === '2020') expect(http.stolenYen).toBeGreaterThan(0);
  });
});
