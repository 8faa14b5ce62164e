import { z } from 'zod';

/** Empty means unset (docs/api.md): `DATABASE_URL=""` selects PGlite. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const bool = (dflt: boolean) =>
  z.preprocess(
    (v) => (v === '' || v === undefined ? dflt : v),
    z
      .union([z.boolean(), z.enum(['1', 'true', '0', 'false'])])
      .transform((v) => v === true || v === '1' || v === 'true'),
  );
const int = (dflt: number, minimum: number, maximum: number) =>
  z.preprocess((v) => (v === '' || v === undefined ? dflt : v), z.coerce.number().int().min(minimum).max(maximum));

/**
 * Why a server secret is too weak, or undefined. Hex keys (`openssl rand -hex 32`) need 64+ digits and 10+
 * distinct ones; any other key needs 32+ characters with no whitespace and 16+ distinct characters (a base64
 * key from `openssl rand -base64 32` easily has). Thirty-two spaces or a repeated word are refused.
 */
export function secretKeyProblem(key: string): string | undefined {
  const distinct = new Set(key).size;
  if (/\s/.test(key)) return 'must not contain whitespace (generate one: openssl rand -hex 32)';
  if (/^[0-9a-fA-F]+$/.test(key))
    return key.length >= 64 && distinct >= 10
      ? undefined
      : 'a hex key needs at least 64 random hex digits (openssl rand -hex 32)';
  if (key.length < 32) return 'must be at least 32 characters (openssl rand -hex 32)';
  if (distinct < 16)
    return `has only ${distinct} distinct characters: use a random key with at least 16 (openssl rand -hex 32)`;
  return undefined;
}

export interface HttpLimits {
  /** The whole request (headers and body) must arrive within this; otherwise 408 and the socket is closed. */
  requestTimeoutMs: number;
  /** The headers must arrive within this (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** An idle keep-alive socket is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open sockets per process; beyond it new connections are closed at once. */
  maxConnections: number;
}

/** 2,000 slow-body requests once stayed open 100 s and 21,000 slow sockets exhausted file descriptors: these bound both. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  requestTimeoutMs: 15_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 10_000,
  maxConnections: 10_000,
};

const schema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
  DATABASE_URL: optionalString.refine(
    (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
    'must be a postgres:// URL',
  ),
  SAIFU_DATA_DIR: optionalString.transform((v) => v ?? './.saifu'),
  SAIFU_ENV: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(['development', 'test', 'production']).default('development'),
  ),
  SAIFU_SANDBOX: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.union([z.enum(['1', 'true', '0', 'false']), z.undefined()]),
  ),
  SAIFU_TRUST_PROXY: bool(false),
  SAIFU_LOG_LEVEL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  SAIFU_INQUIRY_INTERVAL_MS: int(5000, 100, 3_600_000),
  SAIFU_INQUIRY_DELAY_MS: int(30_000, 0, 86_400_000),
  SAIFU_REQUEST_TIMEOUT_MS: int(DEFAULT_HTTP_LIMITS.requestTimeoutMs, 1000, 600_000),
  SAIFU_HEADERS_TIMEOUT_MS: int(DEFAULT_HTTP_LIMITS.headersTimeoutMs, 1000, 600_000),
  SAIFU_KEEP_ALIVE_TIMEOUT_MS: int(DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs, 1000, 600_000),
  SAIFU_MAX_CONNECTIONS: int(DEFAULT_HTTP_LIMITS.maxConnections, 1, 1_000_000),
  SAIFU_SECRET_KEY: z
    .preprocess((v) => (v === '' ? undefined : v), z.string().optional())
    .superRefine((v, ctx) => {
      const problem = v === undefined ? undefined : secretKeyProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS: bool(false),
  SAIFU_DOCS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.union([z.enum(['1', 'true', '0', 'false']), z.undefined()]),
  ),
  SAIFU_METRICS_TOKEN: optionalString.refine(
    (v) => v === undefined || (v.length >= 16 && !/\s/.test(v)),
    'must be at least 16 characters without whitespace',
  ),
  SAIFU_ALLOW_LEGACY_PIN: bool(false),
  SAIFU_SANDBOX_CLOCK: bool(false),
  SAIFU_COMPENSATION_POLICY: optionalString,
  SAIFU_WORKERS: int(1, 1, 64),
  SAIFU_REDIS_URL: optionalString.refine(
    (v) => v === undefined || /^rediss?:\/\/\S+$/.test(v),
    'must be a redis:// or rediss:// URL',
  ),
  SAIFU_SMTP_URL: optionalString.refine(
    (v) => v === undefined || /^smtps?:\/\/\S+$/.test(v),
    'must be an smtp:// or smtps:// URL (smtps://user:password@smtp.example.jp:465)',
  ),
  SAIFU_PUBLIC_URL: optionalString.refine(
    (v) => v === undefined || /^https?:\/\/[^/]+$/.test(v),
    'must be an origin such as https://wallet.example.jp (no path)',
  ),
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
  /** How long a bank call that timed out is left alone before the inquiry job asks the bank what happened. */
  inquiryDelayMs: number;
  /** Socket limits of the HTTP server (slow clients and idle sockets cannot hold file descriptors for long). */
  http: HttpLimits;
  /** Encrypts TOTP seeds and keys PIN-value hashes. Required in production; in development kept in the data dir. */
  secretKey: string | undefined;
  /** Accept `legacy_pin` banks (the 2020 weakness); off unless explicitly enabled, for the simulator. */
  allowLegacyPin: boolean;
  /**
   * The server runs a ManualClock (starting at the real time) that POST /sandbox/clock moves, so a simulator can
   * drive it over HTTP on simulated time; off = the system clock. Needs the sandbox routes, one process, no Redis.
   */
  sandboxClock: boolean;
  /** HTTP worker processes (node:cluster) sharing the port; more than 1 needs PostgreSQL and Redis. */
  workers: number;
  /** Redis for the risk engine's velocity counters, shared by every process; absent = in-process counters. */
  redisUrl: string | undefined;
  /** The origin users reach Saifu at; passkeys are bound to its host name. */
  publicUrl: string;
  /** The published compensation policy (YAML or JSON file) served at /v1/compensation-policy; absent = built-in. */
  compensationPolicyPath: string | undefined;
  /** Email goes out over this SMTP server; absent = email is kept in the sandbox mailbox only (not in production). */
  smtpUrl: string | undefined;
  /**
   * Production running on the sandbox bank and sandbox eKYC (and, if SAIFU_SANDBOX=1, the sandbox routes): a
   * staging deployment only. Without it production refuses to start, as there are no real adapters yet.
   */
  stagingAllowSandboxProviders: boolean;
  /** Serve /docs and /openapi.json: on by default in development and test, off unless enabled in production. */
  docs: boolean;
  /** Serve /metrics: always outside production, in production only when a token protects it. */
  metrics: boolean;
  /** Bearer token /metrics requires when set. */
  metricsToken: string | undefined;
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
    // A URL's password (redis://:secret@host) is not echoed into the log.
    const shown = (env[name] ?? '').replace(/\/\/[^/@\s]*@/, '//***@');
    throw new ConfigError(`invalid ${name}=${JSON.stringify(shown)}: ${issue?.message ?? 'invalid value'}`);
  }
  const v = parsed.data;
  const production = v.SAIFU_ENV === 'production';
  if (production && !v.SAIFU_SECRET_KEY)
    throw new ConfigError('invalid SAIFU_SECRET_KEY="": required in production (openssl rand -hex 32)');
  if (v.SAIFU_WORKERS > 1 && !v.DATABASE_URL)
    throw new ConfigError(
      `invalid SAIFU_WORKERS=${JSON.stringify(env.SAIFU_WORKERS)}: more than one worker needs DATABASE_URL (PGlite is single-process)`,
    );
  if (v.SAIFU_WORKERS > 1 && !v.SAIFU_REDIS_URL)
    throw new ConfigError(
      `invalid SAIFU_WORKERS=${JSON.stringify(env.SAIFU_WORKERS)}: more than one worker needs SAIFU_REDIS_URL (per-process risk counters would let an attacker spread requests over processes)`,
    );
  if (v.SAIFU_HEADERS_TIMEOUT_MS > v.SAIFU_REQUEST_TIMEOUT_MS)
    throw new ConfigError(
      `invalid SAIFU_HEADERS_TIMEOUT_MS=${JSON.stringify(env.SAIFU_HEADERS_TIMEOUT_MS)}: must not exceed SAIFU_REQUEST_TIMEOUT_MS (${v.SAIFU_REQUEST_TIMEOUT_MS})`,
    );
  const sandbox = v.SAIFU_SANDBOX === undefined ? !production : v.SAIFU_SANDBOX === '1' || v.SAIFU_SANDBOX === 'true';
  const staging = v.SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS;
  if (production && sandbox && !staging)
    throw new ConfigError(
      'invalid SAIFU_SANDBOX=1 with SAIFU_ENV=production: the sandbox routes create money; only a staging deployment may set SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS=1',
    );
  if (production && !staging)
    throw new ConfigError(
      'SAIFU_ENV=production refuses to start: no real bank or eKYC adapter is configured (only the sandbox ones exist); a staging deployment may set SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS=1',
    );
  if (production && !v.SAIFU_SMTP_URL && !staging)
    throw new ConfigError(
      'invalid SAIFU_SMTP_URL="": required in production (users are told of sign-ins, charges and withdrawals by email); a staging deployment may set SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS=1 to keep email in the sandbox mailbox',
    );
  // The simulated clock lives in one process's memory and is moved through /sandbox/clock: whatever keeps time
  // elsewhere (another worker, Redis expiring the risk counters on its own clock) would not follow it.
  const sandboxClock = `invalid SAIFU_SANDBOX_CLOCK=${JSON.stringify(env.SAIFU_SANDBOX_CLOCK)}`;
  if (v.SAIFU_SANDBOX_CLOCK && !sandbox)
    throw new ConfigError(
      `${sandboxClock} with the sandbox routes off: the clock is moved through /sandbox/clock (SAIFU_SANDBOX=1 turns them on; in production only on staging)`,
    );
  if (v.SAIFU_SANDBOX_CLOCK && v.SAIFU_WORKERS > 1)
    throw new ConfigError(
      `${sandboxClock} with SAIFU_WORKERS=${JSON.stringify(env.SAIFU_WORKERS)}: each process would hold its own clock (run one worker)`,
    );
  if (v.SAIFU_SANDBOX_CLOCK && v.SAIFU_REDIS_URL)
    throw new ConfigError(
      `${sandboxClock} with SAIFU_REDIS_URL: Redis expires the risk counters on its own clock (PEXPIRE), so counts would be dropped on real time, not simulated time (leave SAIFU_REDIS_URL unset)`,
    );
  const docs = v.SAIFU_DOCS === undefined ? !production : v.SAIFU_DOCS === '1' || v.SAIFU_DOCS === 'true';
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
    inquiryDelayMs: v.SAIFU_INQUIRY_DELAY_MS,
    http: {
      requestTimeoutMs: v.SAIFU_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: v.SAIFU_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: v.SAIFU_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: v.SAIFU_MAX_CONNECTIONS,
    },
    secretKey: v.SAIFU_SECRET_KEY,
    allowLegacyPin: v.SAIFU_ALLOW_LEGACY_PIN,
    sandboxClock: v.SAIFU_SANDBOX_CLOCK,
    publicUrl: v.SAIFU_PUBLIC_URL ?? `http://localhost:${v.PORT}`,
    workers: v.SAIFU_WORKERS,
    redisUrl: v.SAIFU_REDIS_URL,
    compensationPolicyPath: v.SAIFU_COMPENSATION_POLICY,
    smtpUrl: v.SAIFU_SMTP_URL,
    stagingAllowSandboxProviders: staging,
    docs,
    metrics: !production || v.SAIFU_METRICS_TOKEN !== undefined,
    metricsToken: v.SAIFU_METRICS_TOKEN,
  };
}
