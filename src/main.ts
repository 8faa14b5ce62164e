import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LINKING_POLICY } from './banks/policy.ts';
import { seedParticipatingBanks } from './banks/seed.ts';
import { type Database, migrate, openDatabase } from './db/index.ts';
import { buildApp } from './http/index.ts';
import { smtpEmail } from './outbox/index.ts';
import { ManualClock } from './platform/index.ts';
import { redisCounters } from './risk/index.ts';
import { seedSandbox, type SeedReport } from './sandbox/index.ts';
import { type Services, createServices } from './services.ts';

export interface Platform {
  services: Services;
  database: Database;
  app: FastifyInstance;
  seed: SeedReport | undefined;
  close(): Promise<void>;
}

/** Composition root: config → database (migrated) → services → HTTP, plus the inquiry job. */
export interface StartOptions {
  /** Bind the HTTP port (default true). */
  listen?: boolean;
  /** Migrate and seed first (default true); cluster workers leave it to the primary. */
  setup?: boolean;
  /** Run the periodic jobs (default: when listening). */
  jobs?: boolean;
}

export async function startPlatform(config: Config, opts: StartOptions = {}): Promise<Platform> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const setup = opts.setup !== false;
  if (setup) await migrate(database.db);
  let app: FastifyInstance | undefined;
  const secretKey = secretKeyOf(config);
  const linkingPolicy = { ...DEFAULT_LINKING_POLICY, allowLegacyPin: config.allowLegacyPin };
  const relyingParty = { id: new URL(config.publicUrl).hostname, name: 'Saifu', origin: config.publicUrl };
  // With SAIFU_REDIS_URL every process counts risk velocity in one place (config requires it for several workers).
  const counters = config.redisUrl ? redisCounters(config.redisUrl) : undefined;
  // Email over SMTP when configured; without it (development, staging) it stays in the sandbox mailbox, where every
  // notice is also mirrored outside production.
  const host = new URL(config.publicUrl).hostname;
  const email = config.smtpUrl
    ? smtpEmail({ url: config.smtpUrl, from: `Saifu <no-reply@${host}>`, domain: host })
    : undefined;
  // SAIFU_SANDBOX_CLOCK: simulated time from the real now, standing still until POST /sandbox/clock moves it (config
  // keeps it to one process without Redis, so no other process or store keeps the time).
  const clock = config.sandboxClock ? new ManualClock(new Date()) : undefined;
  const services = createServices({
    database,
    clock,
    secretKey,
    linkingPolicy,
    relyingParty,
    counters,
    compensationPolicy: config.compensationPolicyPath,
    alert: (message, details) => app?.log.error(details, message),
    outbox: {
      ...(email ? { email } : {}),
      mirrorToMailbox: config.env !== 'production' || !email,
      log: (message, details) => app?.log.info(details, message),
    },
  });
  if (setup) await seedParticipatingBanks(database.db, services.clock);
  const seed = setup && config.sandbox ? await seedSandbox(services) : undefined;
  app = await buildApp(services, {
    sandbox: config.sandbox,
    trustProxy: config.trustProxy,
    logLevel: config.logLevel,
    docs: config.docs,
    metrics: config.metrics,
    limits: config.http,
    ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
  });
  if (config.env === 'production' && config.stagingAllowSandboxProviders)
    app.log.warn({ sandboxRoutes: config.sandbox }, STAGING_WARNING);
  // The published risk rule set (if any) decides from the first request; the periodic job picks up later ones.
  await services.risk.refresh();
  if (opts.listen !== false) await app.listen({ port: config.port, host: config.host });

  // The inquiry job: settles charges and withdrawals whose bank call timed out at least SAIFU_INQUIRY_DELAY_MS ago. One pass at a time.
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    Promise.all([
      services.wallet.settleInFlight(config.inquiryDelayMs),
      forgetOldIdempotencyKeys(services),
      services.attempts.sweep(),
      services.risk.refresh(),
      // The outbox's dispatcher: safe on every node at once (FOR UPDATE SKIP LOCKED).
      services.outbox.dispatch(),
      // Incident payouts a bank outage held, or whose bank call got no answer: sent again or settled by inquiry.
      services.incidents.settlePayouts(config.inquiryDelayMs),
      // A forced re-link left running by a restart or a failed batch picks up where it stopped (one runner at a time).
      services.banks.relinks.resumeRelinks(),
    ])
      .then(([r]) => r)
      .then((r) => {
        const n = r.charges.posted + r.charges.voided + r.withdrawals.posted + r.withdrawals.voided;
        if (n > 0) app?.log.info(r, 'inquiry settled bank movements');
      })
      .catch((e: unknown) => app?.log.error({ err: e }, 'inquiry pass failed'))
      .finally(() => {
        running = false;
      });
  }, config.inquiryIntervalMs);
  timer.unref();
  if (opts.jobs === false || opts.listen === false) clearInterval(timer);

  return {
    services,
    database,
    app,
    seed,
    close: async () => {
      clearInterval(timer);
      await app?.close();
      await database.close();
      await counters?.close();
      email?.close();
    },
  };
}

/** Said at every start of a production deployment on sandbox providers, in the log and on the console. */
export const STAGING_WARNING =
  'STAGING ONLY: SAIFU_ENV=production is running on the SANDBOX bank and SANDBOX eKYC (SAIFU_STAGING_ALLOW_SANDBOX_PROVIDERS=1): no real money moves and identities are not verified; never serve real users with this setting';

/**
 * SAIFU_SECRET_KEY, or outside production (where config refuses to start without it) one generated once and
 * kept beside the data (mode 0600), so TOTP enrolments survive restarts of a development install.
 */
export function secretKeyOf(config: Config): string {
  if (config.secretKey) return config.secretKey;
  const file = join(config.dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Idempotency keys are kept 24 hours (docs/api.md); older ones are deleted in small batches by the periodic job. */
async function forgetOldIdempotencyKeys(s: Services): Promise<void> {
  const cutoff = new Date(s.clock.now().getTime() - 24 * 60 * 60 * 1000);
  await s.db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).execute();
}
