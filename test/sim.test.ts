import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type SimResult,
  SimUsageError,
  findConfig,
  parseSimOptions,
  reportHtml,
  runSimulation,
  writeRun,
} from '../src/sim/index.ts';
import type { SimTiming } from '../src/sim/run.ts';
import { sql } from 'kysely';
import { createScratchDatabase, openDatabase } from '../src/db/index.ts';
import { HAS_POSTGRES } from './support/databases.ts';

/**
 * The attack simulator, small and deterministic: 100 honest users, 10 phished victims, 4 simulated days on PGlite.
 * The 2020 configuration loses money, Saifu as shipped loses none, honest users barely notice, the ledger verifies
 * after every run, and the same seed gives the same result.json.
 */
const SMALL = { users: 100, victims: 10, days: 4, seed: 7 };
const timings = new Map<string, SimTiming>();
const run = async (name: string) => {
  const { result, timing } = await runSimulation({ ...SMALL, config: findConfig(name)! });
  timings.set(name, timing);
  return result;
};
const json = (r: SimResult) => JSON.stringify(r, null, 2);

describe('the attack simulator', () => {
  const runs = new Map<string, SimResult>();

  it('the 2020 configuration loses money to the campaign', { timeout: 240_000 }, async () => {
    const r = await run('2020');
    runs.set('2020', r);
    expect(r.stolenYen).toBeGreaterThan(0);
    expect(r.victimsHit).toBeGreaterThan(0);
    // The 2020 limits: at most ¥300,000 a month from each victim's account.
    expect(r.stolenYen).toBeLessThanOrEqual(300_000 * r.victimsHit);
    // Cash-out runs through mules, a fence and withdrawals; in 2020 nothing held it.
    expect(r.cashedOutYen).toBeGreaterThan(0);
    expect(r.cashedOutYen).toBeLessThanOrEqual(r.stolenYen);
    expect(r.ledgerVerified).toBe(true);
  });

  it('Saifu as shipped loses ¥0 and wrongly denies at most 0.1% of honest users', { timeout: 240_000 }, async () => {
    const r = await run('default');
    runs.set('default', r);
    expect(r.stolenYen).toBe(0);
    expect(r.cashedOutYen).toBe(0);
    expect(r.victimsHit).toBe(0);
    expect(Object.values(r.stopsByLayer).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(r.honestDenied / r.honestUsers, JSON.stringify(r.honestFrictionReasons)).toBeLessThanOrEqual(0.001);
    // Holders whose accounts the spray touched report the attempt by its reference: their own wallets stay open.
    expect(r.honestBlocked, JSON.stringify(r.honestFrictionReasons)).toBe(0);
    expect(r.honestMoneyObjects).toBeGreaterThan(100);
    expect(r.ledgerVerified).toBe(true);
    // Where the time went: every honest person joined, each join ran statements, and the kinds add up to the run.
    const t = timings.get('default')!;
    expect(t.bySteps['honest:join']).toMatchObject({ steps: SMALL.users });
    expect(t.bySteps['honest:join']!.statements).toBeGreaterThan(10 * SMALL.users);
    const kinds = Object.values(t.bySteps);
    expect(kinds.reduce((n, k) => n + k.statements, 0)).toBeLessThanOrEqual(t.statements);
    expect(kinds.reduce((n, k) => n + k.steps, 0)).toBe(Object.values(t.byActor).reduce((n, a) => n + a.steps, 0));
  });

  // Families sharing one device share a family name, which is how identities_per_device tells them from forged
  // identities run from one phone (before, about 5% of honest users here had their links held).
  it('Saifu as shipped challenges at most 1% of honest users', { timeout: 240_000 }, async () => {
    const r = runs.get('default') ?? (await run('default'));
    expect(r.honestChallenged / r.honestUsers, JSON.stringify(r.honestFrictionReasons)).toBeLessThanOrEqual(0.01);
  });

  it('the same seed gives the same result.json', { timeout: 240_000 }, async () => {
    const again = await run('default');
    expect(json(again)).toBe(json(runs.get('default')!));
    const dir = mkdtempSync(join(tmpdir(), 'saifu-sim-'));
    writeRun(dir, again, {
      totalMs: 1,
      setupMs: 1,
      verifyMs: 1,
      byActor: {},
      bySteps: {},
      statements: 0,
      dbMs: 0,
      unexpectedErrors: {},
    });
    expect(readFileSync(join(dir, 'result.json'), 'utf8')).toBe(`${json(runs.get('default')!)}\n`);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(reportHtml([...runs.values()])).toContain('2020');
  });

  it('bad options stop with one clear line', () => {
    const ok = {
      config: 'default',
      users: '10',
      victims: '2',
      days: '1',
      seed: '1',
      out: mkdtempSync(join(tmpdir(), 's-')),
    };
    expect(() => parseSimOptions(ok)).not.toThrow();
    const bad = (change: Partial<typeof ok>, message: RegExp) => {
      let thrown: unknown;
      try {
        parseSimOptions({ ...ok, ...change });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(SimUsageError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain('\n');
    };
    bad({ config: 'nope' }, /unknown --config 'nope'/);
    bad({ users: '-1' }, /--users must be a whole number/);
    bad({ victims: '2.5' }, /--victims must be a whole number/);
    bad({ days: '0' }, /--days must be a whole number ≥ 1/);
    bad({ databaseUrl: 'mysql://localhost/x' } as Partial<typeof ok>, /--database-url must be a postgres:\/\/ URL/);
    bad({ target: 'ftp://localhost' } as Partial<typeof ok>, /--target must be an http:\/\/ or https:\/\/ URL/);
    // Over HTTP the simulator cannot switch the server's settings: only the campaign variants of `default` run.
    bad({ target: 'http://localhost:3000', config: 'no-risk' } as Partial<typeof ok>, /--config no-risk changes Saifu/);
    bad(
      { target: 'http://localhost:3000', config: 'all' } as Partial<typeof ok>,
      /--target runs one configuration .* not --config all/,
    );
    expect(() =>
      parseSimOptions({ ...ok, config: 'sim-swap', target: 'http://localhost:3000' } as typeof ok),
    ).not.toThrow();
    const file = join(ok.out, 'a-file');
    writeFileSync(file, '');
    bad({ out: join(file, 'below') }, /--out .* is not writable/);
  });
});

describe.skipIf(!HAS_POSTGRES)('a scratch database per configuration (--config all --database-url)', () => {
  it('is created empty on the server and dropped afterwards', async () => {
    const admin = process.env.TEST_DATABASE_URL!;
    const scratch = await createScratchDatabase(admin, 'saifu_sim_test');
    const name = new URL(scratch.url).pathname.slice(1);
    expect(name).toMatch(/^saifu_sim_test_[0-9a-f]{12}$/);
    const d = await openDatabase({ url: scratch.url, poolSize: 1 });
    const tables = (
      await sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`.execute(d.db)
    ).rows;
    expect(tables).toEqual([]);
    await d.close();
    await scratch.drop();
    const check = await openDatabase({ url: admin, poolSize: 1 });
    const left = (await sql`SELECT datname FROM pg_database WHERE datname = ${name}`.execute(check.db)).rows;
    await check.close();
    expect(left).toEqual([]);
  });
});
