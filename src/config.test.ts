import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretKeyProblem } from './config.ts';

const KEY = 'f3a91c07d2b84e6f5a0c9d1e7b3f2a6c8e4d0b9a1c7f5e3d2b8a6c4e0f9d1b7a';
const PRODUCTION = { SAIFU_ENV: 'production', SAIFU_SECRET_KEY: KEY, SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS: '1' };

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  return '';
}

describe('configuration', () => {
  it('has working defaults: PGlite, localhost, sandbox on in development', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: './.saifu',
      env: 'development',
      sandbox: true,
      trustProxy: false,
      workers: 1,
      allowLegacyPin: false,
      publicUrl: 'http://localhost:3000',
    });
  });

  it('treats empty as unset and accepts 1/true/0/false', () => {
    expect(loadConfig({ DATABASE_URL: '', SAIFU_SANDBOX: '0', SAIFU_TRUST_PROXY: 'true' })).toMatchObject({
      databaseUrl: undefined,
      sandbox: false,
      trustProxy: true,
    });
    expect(loadConfig(PRODUCTION).sandbox).toBe(false);
    expect(loadConfig({ ...PRODUCTION, SAIFU_SANDBOX: '1' }).sandbox).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ SAIFU_ENV: 'staging' }, 'SAIFU_ENV'],
    [{ SAIFU_TRUST_PROXY: 'yes' }, 'SAIFU_TRUST_PROXY'],
    [{ SAIFU_SECRET_KEY: 'short' }, 'SAIFU_SECRET_KEY'],
    [{ SAIFU_SECRET_KEY: ' '.repeat(32) }, 'SAIFU_SECRET_KEY'],
    [{ SAIFU_SECRET_KEY: 'x'.repeat(64) }, 'SAIFU_SECRET_KEY'],
    [{ SAIFU_ENV: 'production' }, 'SAIFU_SECRET_KEY'],
    [{ SAIFU_ENV: 'production', SAIFU_SECRET_KEY: KEY }, 'SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS'],
    [{ SAIFU_ENV: 'production', SAIFU_SECRET_KEY: KEY, SAIFU_SANDBOX: '1' }, 'SAIFU_SANDBOX'],
    [{ SAIFU_METRICS_TOKEN: 'short' }, 'SAIFU_METRICS_TOKEN'],
    [{ SAIFU_DOCS: 'maybe' }, 'SAIFU_DOCS'],
    [{ SAIFU_WORKERS: '2' }, 'SAIFU_WORKERS'],
    [{ SAIFU_WORKERS: '2', DATABASE_URL: 'postgres://db/saifu' }, 'SAIFU_WORKERS'],
    [{ SAIFU_REDIS_URL: 'localhost:6379' }, 'SAIFU_REDIS_URL'],
    [{ SAIFU_REDIS_URL: 'http://cache:6379' }, 'SAIFU_REDIS_URL'],
    [{ SAIFU_PUBLIC_URL: 'localhost:3000/x' }, 'SAIFU_PUBLIC_URL'],
    [{ SAIFU_INQUIRY_DELAY_MS: '-1' }, 'SAIFU_INQUIRY_DELAY_MS'],
    [{ SAIFU_REQUEST_TIMEOUT_MS: '0' }, 'SAIFU_REQUEST_TIMEOUT_MS'],
    [{ SAIFU_HEADERS_TIMEOUT_MS: 'soon' }, 'SAIFU_HEADERS_TIMEOUT_MS'],
    [{ SAIFU_REQUEST_TIMEOUT_MS: '5000', SAIFU_HEADERS_TIMEOUT_MS: '8000' }, 'SAIFU_HEADERS_TIMEOUT_MS'],
    [{ SAIFU_KEEP_ALIVE_TIMEOUT_MS: '10' }, 'SAIFU_KEEP_ALIVE_TIMEOUT_MS'],
    [{ SAIFU_MAX_CONNECTIONS: '0' }, 'SAIFU_MAX_CONNECTIONS'],
    [{ SAIFU_SANDBOX_CLOCK: 'yes' }, 'SAIFU_SANDBOX_CLOCK'],
    [{ SAIFU_SANDBOX_CLOCK: '1', SAIFU_SANDBOX: '0' }, 'SAIFU_SANDBOX_CLOCK'],
    [{ SAIFU_SANDBOX_CLOCK: '1', SAIFU_REDIS_URL: 'redis://cache:6379' }, 'SAIFU_SANDBOX_CLOCK'],
  ])('%j stops start-up with one line naming %s', (env, name) => {
    let message = '';
    try {
      loadConfig(env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('production refuses to start on the sandbox providers, naming the reason in one line, unless staging says so', () => {
    expect(configError({ SAIFU_ENV: 'production', SAIFU_SECRET_KEY: KEY })).toMatch(
      /no real bank or eKYC adapter is configured/,
    );
    expect(configError({ SAIFU_ENV: 'production', SAIFU_SECRET_KEY: KEY, SAIFU_SANDBOX: 'true' })).toMatch(
      /sandbox routes/,
    );
    expect(
      configError({ SAIFU_ENV: 'production', SAIFU_SECRET_KEY: KEY, SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS: '0' }),
    ).toMatch(/no real bank/);
    expect(loadConfig(PRODUCTION)).toMatchObject({
      env: 'production',
      stagingAllowSandboxProviders: true,
      sandbox: false,
    });
    // Outside production the sandbox providers are the default and need no setting.
    expect(loadConfig({}).stagingAllowSandboxProviders).toBe(false);
  });

  it('bounds slow and idle sockets by default, and waits 30 s before asking the bank about a timeout', () => {
    expect(loadConfig({})).toMatchObject({
      inquiryDelayMs: 30_000,
      http: { requestTimeoutMs: 15_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 10_000, maxConnections: 10_000 },
    });
    const c = loadConfig({
      SAIFU_INQUIRY_DELAY_MS: '0',
      SAIFU_REQUEST_TIMEOUT_MS: '30000',
      SAIFU_HEADERS_TIMEOUT_MS: '30000',
      SAIFU_KEEP_ALIVE_TIMEOUT_MS: '65000',
      SAIFU_MAX_CONNECTIONS: '500',
    });
    expect(c).toMatchObject({
      inquiryDelayMs: 0,
      http: { requestTimeoutMs: 30_000, headersTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, maxConnections: 500 },
    });
  });

  it('docs are on in development and off in production unless SAIFU_DOCS says otherwise', () => {
    expect(loadConfig({}).docs).toBe(true);
    expect(loadConfig({ SAIFU_DOCS: '0' }).docs).toBe(false);
    expect(loadConfig(PRODUCTION).docs).toBe(false);
    expect(loadConfig({ ...PRODUCTION, SAIFU_DOCS: '1' }).docs).toBe(true);
  });

  it('metrics are open in development, off in production without a token, behind the token when one is set', () => {
    expect(loadConfig({})).toMatchObject({ metrics: true, metricsToken: undefined });
    expect(loadConfig(PRODUCTION)).toMatchObject({ metrics: false, metricsToken: undefined });
    expect(loadConfig({ ...PRODUCTION, SAIFU_METRICS_TOKEN: 'scrape-0123456789abcdef' })).toMatchObject({
      metrics: true,
      metricsToken: 'scrape-0123456789abcdef',
    });
  });

  it('risk counters: in-process by default, Redis when SAIFU_REDIS_URL is a redis:// or rediss:// URL', () => {
    expect(loadConfig({}).redisUrl).toBeUndefined();
    expect(loadConfig({ SAIFU_REDIS_URL: '' }).redisUrl).toBeUndefined();
    expect(loadConfig({ SAIFU_REDIS_URL: 'redis://127.0.0.1:6379/2' }).redisUrl).toBe('redis://127.0.0.1:6379/2');
    expect(loadConfig({ SAIFU_REDIS_URL: 'rediss://:pw@cache.internal:6380' }).redisUrl).toBe(
      'rediss://:pw@cache.internal:6380',
    );
    expect(configError({ SAIFU_REDIS_URL: 'localhost:6379' })).toBe(
      'invalid SAIFU_REDIS_URL="localhost:6379": must be a redis:// or rediss:// URL',
    );
    // A password in a refused URL is not echoed.
    expect(configError({ SAIFU_REDIS_URL: 'http://:hunter2hunter2@cache:6379' })).toBe(
      'invalid SAIFU_REDIS_URL="http://***@cache:6379": must be a redis:// or rediss:// URL',
    );
  });

  it('several workers need Redis: per-process counters would let an attacker spread requests over processes', () => {
    const db = { DATABASE_URL: 'postgres://db/saifu' };
    expect(configError({ ...db, SAIFU_WORKERS: '4' })).toMatch(
      /^invalid SAIFU_WORKERS="4": .*SAIFU_REDIS_URL \(per-process risk counters would let an attacker spread requests over processes\)$/,
    );
    expect(loadConfig({ ...db, SAIFU_WORKERS: '4', SAIFU_REDIS_URL: 'redis://cache:6379' })).toMatchObject({
      workers: 4,
      redisUrl: 'redis://cache:6379',
    });
    // One worker keeps the in-process counters.
    expect(loadConfig({ ...db, SAIFU_WORKERS: '1' }).redisUrl).toBeUndefined();
  });

  it('the sandbox clock: off by default; 1/true turn it on; empty is unset', () => {
    expect(loadConfig({}).sandboxClock).toBe(false);
    expect(loadConfig({ SAIFU_SANDBOX_CLOCK: '' }).sandboxClock).toBe(false);
    expect(loadConfig({ SAIFU_SANDBOX_CLOCK: '0' }).sandboxClock).toBe(false);
    expect(loadConfig({ SAIFU_SANDBOX_CLOCK: 'false' }).sandboxClock).toBe(false);
    expect(loadConfig({ SAIFU_SANDBOX_CLOCK: '1' }).sandboxClock).toBe(true);
    expect(loadConfig({ SAIFU_SANDBOX_CLOCK: 'true' }).sandboxClock).toBe(true);
    // A staging deployment with the sandbox routes on may run it too.
    expect(loadConfig({ ...PRODUCTION, SAIFU_SANDBOX: '1', SAIFU_SANDBOX_CLOCK: '1' }).sandboxClock).toBe(true);
  });

  it('the sandbox clock refuses to start where it could not be moved or would not be followed', () => {
    expect(configError({ SAIFU_SANDBOX_CLOCK: '1', SAIFU_SANDBOX: '0' })).toBe(
      'invalid SAIFU_SANDBOX_CLOCK="1" with the sandbox routes off: the clock is moved through /sandbox/clock (SAIFU_SANDBOX=1 turns them on; in production only on staging)',
    );
    // Production without the sandbox routes.
    expect(configError({ ...PRODUCTION, SAIFU_SANDBOX_CLOCK: 'true' })).toMatch(
      /^invalid SAIFU_SANDBOX_CLOCK="true" with the sandbox routes off: /,
    );
    expect(configError({ SAIFU_SANDBOX_CLOCK: '1', SAIFU_REDIS_URL: 'redis://cache:6379' })).toBe(
      'invalid SAIFU_SANDBOX_CLOCK="1" with SAIFU_REDIS_URL: Redis expires the risk counters on its own clock (PEXPIRE), so counts would be dropped on real time, not simulated time (leave SAIFU_REDIS_URL unset)',
    );
    const cluster = { DATABASE_URL: 'postgres://db/saifu', SAIFU_REDIS_URL: 'redis://cache:6379', SAIFU_WORKERS: '4' };
    expect(loadConfig(cluster).workers).toBe(4);
    expect(configError({ ...cluster, SAIFU_SANDBOX_CLOCK: '1' })).toBe(
      'invalid SAIFU_SANDBOX_CLOCK="1" with SAIFU_WORKERS="4": each process would hold its own clock (run one worker)',
    );
  });

  it('secret keys need real entropy: random hex or base64 pass; spaces, repeats and short keys do not', () => {
    expect(secretKeyProblem(KEY)).toBeUndefined();
    expect(secretKeyProblem('q7Jx2Lm9Vt4Rb8Nc1Zs6Kd3Wf5Hy0Pg+Ae/Tu=iOoEwX')).toBeUndefined();
    expect(secretKeyProblem(' '.repeat(32))).toMatch(/whitespace/);
    expect(secretKeyProblem(`${KEY.slice(0, 31)} ${KEY.slice(32)}`)).toMatch(/whitespace/);
    expect(secretKeyProblem('x'.repeat(32))).toMatch(/hex|distinct/);
    expect(secretKeyProblem('password'.repeat(8))).toMatch(/distinct/);
    expect(secretKeyProblem('ab12'.repeat(16))).toMatch(/hex/);
    expect(secretKeyProblem(KEY.slice(0, 40))).toMatch(/64 random hex digits/);
    expect(secretKeyProblem('Tr0ub4dor&3')).toMatch(/32 characters/);
  });
});
