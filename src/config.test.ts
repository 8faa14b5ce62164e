import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working defaults: PGlite, localhost, sandbox on in development', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', databaseUrl: undefined, dataDir: './.saifu', env: 'development', sandbox: true, trustProxy: false, workers: 1, allowLegacyPin: false, publicUrl: 'http://localhost:3000' });
  });

  it('treats empty as unset and accepts 1/true/0/false', () => {
    expect(loadConfig({ DATABASE_URL: '', SAIFU_SANDBOX: '0', SAIFU_TRUST_PROXY: 'true' })).toMatchObject({ databaseUrl: undefined, sandbox: false, trustProxy: true });
    expect(loadConfig({ SAIFU_ENV: 'production', SAIFU_SECRET_KEY: 'x'.repeat(32) }).sandbox).toBe(false);
    expect(loadConfig({ SAIFU_ENV: 'production', SAIFU_SECRET_KEY: 'x'.repeat(32), SAIFU_SANDBOX: '1' }).sandbox).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ SAIFU_ENV: 'staging' }, 'SAIFU_ENV'],
    [{ SAIFU_TRUST_PROXY: 'yes' }, 'SAIFU_TRUST_PROXY'],
    [{ SAIFU_SECRET_KEY: 'short' }, 'SAIFU_SECRET_KEY'],
    [{ SAIFU_ENV: 'production' }, 'SAIFU_SECRET_KEY'],
    [{ SAIFU_WORKERS: '2' }, 'SAIFU_WORKERS'],
    [{ SAIFU_PUBLIC_URL: 'localhost:3000/x' }, 'SAIFU_PUBLIC_URL'],
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
});
