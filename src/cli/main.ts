import cluster from 'node:cluster';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { type Database, migrate, openDatabase } from '../db/index.ts';
import { verifyLedger } from '../ledger/index.ts';
import { STAGING_WARNING, secretKeyOf, startPlatform } from '../main.ts';
import { ROLES, type Role, verifyAudit } from '../ops/index.ts';
import { AppError } from '../platform/index.ts';
import { seedSandbox } from '../sandbox/index.ts';
import { createServices } from '../services.ts';
import { SimTargetError, SimUsageError, simCommand } from '../sim/index.ts';

function config(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`saifu: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

const where = (c: Config) =>
  c.databaseUrl
    ? `PostgreSQL (${new URL(c.databaseUrl).host}${new URL(c.databaseUrl).pathname})`
    : `embedded PGlite, data in ${c.dataDir}/pgdata`;

/** Opens the configured database, brings it up to date, runs `fn`, and closes it whatever happens. */
async function withDatabase<T>(c: Config, fn: (d: Database) => Promise<T>): Promise<T> {
  const d = await openDatabase({ url: c.databaseUrl, dataDir: c.dataDir });
  try {
    await migrate(d.db);
    return await fn(d);
  } finally {
    await d.close();
  }
}

/** The seeded operator for the console: its password once, except in production, where no password is ever printed. */
function seededOperator(c: Config, op: { email: string; password?: string }): string {
  if (!op.password) return `${op.email} (exists)`;
  if (c.env === 'production')
    return `${op.email} (password not printed in production: create your own with saifu operators create)`;
  return `${op.email}  password ${op.password} (shown once; POST /v1/admin/sessions)`;
}

const program = new Command('saifu').description('Saifu e-money wallet core').showHelpAfterError();

program
  .command('serve')
  .description('run the API (migrates and, in the sandbox, seeds first)')
  .action(async () => {
    const c = config();
    const started = Date.now();
    if (c.workers > 1 && cluster.isWorker) return serveWorker(c);
    // With several workers the primary migrates and seeds once, then forks processes that share the port.
    const p = await startPlatform(c, c.workers > 1 ? { listen: false } : {});
    const base = `http://${c.host === '127.0.0.1' || c.host === '0.0.0.0' ? 'localhost' : c.host}:${c.port}`;
    const lines = [
      `Saifu is running (${where(c)}, ${c.env}${c.sandbox ? ', sandbox on' : ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `  API          ${base}/v1`,
      c.docs ? `  API docs     ${base}/docs` : '  API docs     off (SAIFU_DOCS=1 turns /docs and /openapi.json on)',
      ...(c.docs ? [`  OpenAPI      ${base}/openapi.json`] : []),
      `  Health       ${base}/healthz   Metrics ${c.metrics ? `${base}/metrics${c.metricsToken ? ' (bearer SAIFU_METRICS_TOKEN)' : ''}` : 'off (set SAIFU_METRICS_TOKEN)'}`,
    ];
    if (c.env === 'production' && c.stagingAllowSandboxProviders) lines.unshift(`WARNING: ${STAGING_WARNING}`);
    if (p.seed) {
      lines.push(`  Sandbox      ${base}/sandbox/messages?to=<phone>  (mailbox), POST ${base}/sandbox/bank-accounts`);
      lines.push(
        `  Demo merchant ${p.seed.merchant.id}${p.seed.merchant.apiKey ? `  API key ${p.seed.merchant.apiKey} (shown once)` : ''}`,
      );
      lines.push(`  Operator     ${seededOperator(c, p.seed.operator)}`);
    }
    if (c.workers > 1) {
      lines.push(`  Workers      ${c.workers} processes on port ${c.port}`);
      await p.close();
      return superviseWorkers(c, lines);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const stop = async () => {
      await p.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

/** The primary of a multi-worker server: forks the workers, replaces one that dies, stops them all on a signal. */
function superviseWorkers(c: Config, banner: string[]): void {
  let stopping = false;
  let ready = 0;
  cluster.on('message', (_w, msg) => {
    if (msg === 'ready' && ++ready === c.workers) process.stdout.write(`${banner.join('\n')}\n`);
  });
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    process.stderr.write(`saifu: worker ${w.process.pid} exited (${signal ?? code}); starting another\n`);
    cluster.fork();
  });
  for (let i = 0; i < c.workers; i++) cluster.fork();
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function serveWorker(c: Config): Promise<void> {
  const p = await startPlatform(c, { setup: false });
  process.send?.('ready');
  const stop = async () => {
    await p.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const c = config();
    const d = await openDatabase({ url: c.databaseUrl, dataDir: c.dataDir });
    const applied = await migrate(d.db).finally(() => d.close());
    process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database is up to date\n');
  });

program
  .command('seed')
  .description('seed the sandbox (demo merchant, admin operator); safe to repeat')
  .action(async () => {
    const c = config();
    const r = await withDatabase(c, (d) => seedSandbox(createServices({ database: d, secretKey: secretKeyOf(c) })));
    process.stdout.write(
      `demo merchant ${r.merchant.id}${r.merchant.apiKey ? ` API key ${r.merchant.apiKey}` : ' (exists)'}\noperator ${seededOperator(c, r.operator)}\n`,
    );
  });

const ledger = program.command('ledger').description('ledger tools');
ledger
  .command('verify')
  .description(
    'check every transfer, every account balance, the zero sum and wallet non-negativity; exit 1 on the first violation',
  )
  .action(async () => {
    const c = config();
    const [violations, counts] = await withDatabase(
      c,
      async (d) =>
        [
          await verifyLedger(d.db),
          await d.db
            .selectFrom('ledger_transfers')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow(),
        ] as const,
    );
    if (violations.length > 0) {
      process.stderr.write(
        `ledger verify FAILED: ${violations[0]!.check}: ${violations[0]!.message}${violations.length > 1 ? ` (+${violations.length - 1} more)` : ''}\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`ledger ok: ${Number(counts.n)} transfers verified\n`);
  });

const operators = program.command('operators').description('operator accounts');
operators
  .command('create')
  .description('create an operator enrolled in TOTP; prints the generated password and the otpauth:// URI once')
  .requiredOption('--email <email>', 'the operator’s email')
  .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
  .option('--bank <code>', 'for --role bank: the 4-digit code of the bank whose staff this is')
  .action(async (opts: { email: string; role: string; bank?: string }) => {
    const c = config();
    if (!ROLES.includes(opts.role as Role)) {
      process.stderr.write(`saifu: --role must be one of ${ROLES.join(', ')}\n`);
      process.exit(2);
    }
    const op = await withDatabase(c, (d) =>
      createServices({ database: d, secretKey: secretKeyOf(c) }).ops.createOperator(
        opts.email,
        opts.role as Role,
        'cli',
        opts.bank ? { bankCode: opts.bank } : {},
      ),
    ).catch((e: unknown) => {
      // email_taken, a malformed email: say so in one line, not a stack trace.
      if (e instanceof AppError) {
        process.stderr.write(`saifu: ${e.message}\n`);
        process.exit(1);
      }
      throw e;
    });
    process.stdout.write(
      `operator ${op.id} (${op.email}, ${op.role}${op.bankCode ? ` of bank ${op.bankCode}` : ''}) password: ${op.password} (shown once; only its hash is kept)\n` +
        `TOTP (add to an authenticator app; sign-in needs its code): ${op.totp.otpauthUrl}\n` +
        `TOTP secret: ${op.totp.secret} (shown once)\n`,
    );
  });

program
  .command('audit')
  .description('audit log tools')
  .command('verify')
  .description('recompute the audit hash chain; exit 1 at the first broken record')
  .action(async () => {
    const c = config();
    const r = await withDatabase(c, (d) => verifyAudit(d.db));
    if (!r.ok) {
      process.stderr.write(`audit verify FAILED at record ${r.firstBrokenSeq} (${r.checked} verified before it)\n`);
      process.exit(1);
    }
    process.stdout.write(`audit ok: ${r.checked} records verified${r.lastHash ? `, last hash ${r.lastHash}` : ''}\n`);
  });

const incident = program.command('incident').description('incident response');
incident
  .command('report <id>')
  .description('write the incident report: CSV, PDF and the regulator summary (JSON)')
  .option('--out <dir>', 'where to write the files', '.')
  .action(async (id: string, o: { out: string }) => {
    const c = config();
    const files = await withDatabase(c, async (d) => {
      const { incidents } = createServices({ database: d, secretKey: secretKeyOf(c) });
      const report = await incidents.report({ id: 'cli', role: 'admin' }, id);
      mkdirSync(o.out, { recursive: true });
      const base = join(o.out, `incident-${id}`);
      writeFileSync(`${base}.csv`, incidents.reportCsv(report));
      writeFileSync(`${base}.pdf`, await incidents.reportPdf(report));
      writeFileSync(
        `${base}-regulator.json`,
        `${JSON.stringify(await incidents.regulatorSummary({ id: 'cli', role: 'admin' }, id), null, 2)}\n`,
      );
      return [`${base}.csv`, `${base}.pdf`, `${base}-regulator.json`];
    }).catch((e: unknown) => {
      if (e instanceof AppError) {
        process.stderr.write(`saifu: ${e.message}\n`);
        process.exit(1);
      }
      throw e;
    });
    process.stdout.write(`${files.join('\n')}\n`);
  });

program
  .command('sim')
  .description('attack simulator: the 2020 fraud and honest users against a configuration (or all), with a report')
  .option('--config <name>', 'configuration: 2020, default, no-ekyc, … or all (the standard comparison)', 'default')
  .option('--users <n>', 'honest users', '10000')
  .option('--victims <n>', 'phished victims', '200')
  .option('--days <n>', 'simulated days', '30')
  .option('--seed <n>', 'seed (same seed, same result.json)', '42')
  .option('--out <dir>', 'where result.json and report.html go', 'sim-out')
  .option(
    '--database-url <url>',
    "PostgreSQL instead of in-process PGlite: an empty database, or with --config all a server to create one scratch database per configuration on; with --target, the server's database, read for the measurements",
  )
  .option(
    '--target <url>',
    'drive a running server over HTTP (started with SAIFU_SANDBOX_CLOCK=1 SAIFU_TRUST_PROXY=1 on an empty database) instead of in-process',
  )
  .option('--quiet', 'no progress bar or table')
  .action(async (opts) => {
    try {
      await simCommand(opts);
    } catch (e) {
      if (!(e instanceof SimUsageError) && !(e instanceof SimTargetError)) throw e;
      process.stderr.write(`saifu sim: ${e.message}\n`);
      process.exit(e instanceof SimUsageError ? 2 : 1);
    }
  });

await program.parseAsync(process.argv);
