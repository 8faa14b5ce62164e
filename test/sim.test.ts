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

/**
 * The attack simulator, small and deterministic: 100 honest users, 10 phished victims, 4 simulated days on PGlite.
 * The 2020 configuration loses money, Saifu as shipped loses none, honest users barely notice, the ledger verifies
 * after every run, and the same seed gives the same result.json.
 */
const SMALL = { users: 100, victims: 10, days: 4, seed: 7 };
const run = async (name: string) => (await runSimulation({ ...SMALL, config: findConfig(name)! })).result;
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
    const file = join(ok.out, 'a-file');
    writeFileSync(file, '');
    bad({ out: join(file, 'below') }, /--out .* is not writable/);
  });
});
