import { z } from 'zod';

/** Empty means unset (API.md): `DATABASE_URL=""` selects PGlite. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const bool = (dflt: boolean) =>
  z.preprocess((v) => (v === '' || v === undefined ? dflt : v), z.union([z.boolean(), z.enum(['1', 'true', '0', 'false'])]).transform((v) => v === true || v === '1' || v === 'true'));
const int = (dflt: number, minimum: number, maximum: number) =>
  z.preprocess((v) => (v === '' || v === undefined ? dflt : v), z.coerce.number().int().min(minimum).max(maximum));

const schema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL'),
  SAIFU_DATA_DIR: optionalString.transform((v) => v ?? './.saifu'),
  SAIFU_ENV: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['development', 'test', 'production']).default('development')),
  SAIFU_SANDBOX: z.preprocess((v) => (v === '' ? undefined : v), z.union([z.enum(['1', 'true', '0', 'false']), z.undefined()])),
  SAIFU_TRUST_PROXY: bool(false),
  SAIFU_LOG_LEVEL: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  SAIFU_INQUIRY_INTERVAL_MS: int(5000, 100, 3_600_000),
  SAIFU_SECRET_KEY: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters (e.g. openssl rand -hex 32)'),
  SAIFU_ALLOW_LEGACY_PIN: bool(false),
  SAIFU_WORKERS: int(1, 1, 64),
  SAIFU_PUBLIC_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]+$/.test(v), 'must be an origin such as https://wallet.example.jp (no path)'),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  env: 'development' | 'test' | 'production';
  /** Sandbox routes and the sandbox bank: on by default outside production, off unless enabled in production. */
  sandbox: boolean;
  trustProxy: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  inquiryIntervalMs: number;
  /** Encrypts TOTP seeds and keys PIN-value hashes. Required in production; in development kept in the data dir. */
  secretKey: string | undefined;
  /** Accept `legacy_pin` banks (the 2020 weakness); off unless explicitly enabled, for the simulator. */
  allowLegacyPin: boolean;
  /** HTTP worker processes (node:cluster) sharing the port; more than 1 needs PostgreSQL. */
  workers: number;
  /** The origin users reach Saifu at; passkeys are bound to its host name. */
  publicUrl: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once. A bad value throws a ConfigError whose message is one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`invalid ${name}=${JSON.stringify(env[name] ?? '')}: ${issue?.message ?? 'invalid value'}`);
  }
  const v = parsed.data;
  if (v.SAIFU_ENV === 'production' && !v.SAIFU_SECRET_KEY) throw new ConfigError('invalid SAIFU_SECRET_KEY="": required in production (at least 32 characters)');
  if (v.SAIFU_WORKERS > 1 && !v.DATABASE_URL) throw new ConfigError(`invalid SAIFU_WORKERS=${JSON.stringify(env.SAIFU_WORKERS)}: more than one worker needs DATABASE_URL (PGlite is single-process)`);
  const sandbox = v.SAIFU_SANDBOX === undefined ? v.SAIFU_ENV !== 'production' : v.SAIFU_SANDBOX === '1' || v.SAIFU_SANDBOX === 'true';
  return {
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL,
    dataDir: v.SAIFU_DATA_DIR,
    env: v.SAIFU_ENV,
    sandbox,
    trustProxy: v.SAIFU_TRUST_PROXY,
    logLevel: v.SAIFU_LOG_LEVEL,
    inquiryIntervalMs: v.SAIFU_INQUIRY_INTERVAL_MS,
    secretKey: v.SAIFU_SECRET_KEY,
    allowLegacyPin: v.SAIFU_ALLOW_LEGACY_PIN,
    publicUrl: v.SAIFU_PUBLIC_URL ?? `http://localhost:${v.PORT}`,
    workers: v.SAIFU_WORKERS,
  };
}
