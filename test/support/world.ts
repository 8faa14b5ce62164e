import { randomInt, randomUUID } from 'node:crypto';
import { seedParticipatingBanks } from '../../src/banks/seed.ts';
import { amount } from '../../src/money/index.ts';
import { ManualClock } from '../../src/platform/index.ts';
import { redisCounters } from '../../src/risk/index.ts';
import { type ServiceOptions, type Services, createServices } from '../../src/services.ts';
import type { BankLink } from '../../src/banks/index.ts';
import type { Actor } from '../../src/wallet/index.ts';
import { freshDatabase } from './databases.ts';

export interface World extends Services {
  clock: ManualClock;
  close(): Promise<void>;
}

/** A fresh database with the services wired over it and a hand-moved clock. */
export async function createWorld(
  kind: 'pglite' | 'postgres',
  options: Partial<ServiceOptions> & { poolSize?: number } = {},
): Promise<World> {
  const database = await freshDatabase(kind, options.poolSize);
  const clock = new ManualClock('2026-11-10T03:00:00Z');
  // TEST_RISK_COUNTERS=redis runs the suite's risk wiring on Redis counters (TEST_REDIS_URL, default local).
  const counters =
    options.counters ??
    (process.env.TEST_RISK_COUNTERS === 'redis'
      ? redisCounters(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', {
          prefix: `saifu:test:${randomUUID()}:`,
        })
      : undefined);
  const services = createServices({ ...options, counters, database, clock });
  await seedParticipatingBanks(database.db, clock);
  const close = async () => {
    await database.close();
    if (counters && counters !== options.counters) await counters.close();
  };
  return { ...services, clock, close };
}

let phoneSeq = randomInt(10_000_000);
export const newPhone = (): string => `090${String(phoneSeq++ % 100_000_000).padStart(8, '0')}`;

export interface Customer {
  actor: Actor;
  token: string;
  phone: string;
  link: BankLink;
  bankAccount: { bankCode: string; branchCode: string; accountNumber: string };
}

/**
 * A signed-up user with a confirmed phone, a sandbox bank account holding `bankBalance` and an active link to it
 * that is past its cooling-off period (unless `coolingOff`).
 */
export async function customer(
  w: World,
  opts: { bankCode?: string; bankBalance?: number; coolingOff?: boolean; verified?: boolean; elevated?: boolean } = {},
): Promise<Customer> {
  const phone = newPhone();
  const { user, token } = await w.identity.signup({
    email: `${phone}@example.test`,
    phone,
    password: 'correct horse battery staple',
  });
  await w.identity.markPhoneConfirmed(user.id);
  if (opts.verified !== false)
    await w.db.updateTable('users').set({ verification: 'verified' }).where('id', '=', user.id).execute();
  const bankCode = opts.bankCode ?? '0001';
  const branchCode = '001';
  const { accountNumber } = await w.sandbox.bank.openAccount({
    bankCode,
    branchCode,
    accountType: 'ordinary',
    holderNameKana: 'ﾔﾏﾀﾞ ﾊﾅｺ',
    birthDate: '1985-04-12',
    pin: '4821',
    phone,
    balance: amount(opts.bankBalance ?? 2_000_000),
  });
  const activatedAt = opts.coolingOff ? w.clock.now() : new Date(w.clock.now().getTime() - 30 * 24 * 3600 * 1000);
  const link = await w.banks.links.createActiveLink(
    user.id,
    { bankCode, branchCode, accountType: 'ordinary', accountNumber },
    activatedAt,
  );
  const u = await w.identity.getUser(user.id);
  // Most money tests are not about step-up: the customer's session holds a second factor for the whole test.
  const elevatedUntil = opts.elevated === false ? null : new Date(w.clock.now().getTime() + 365 * 24 * 3600 * 1000);
  // Sessions outlive the test's clock jumps (days, months).
  await w.db
    .updateTable('sessions')
    .set({ elevated_until: elevatedUntil, expires_at: new Date(w.clock.now().getTime() + 3650 * 24 * 3600 * 1000) })
    .where('user_id', '=', user.id)
    .execute();
  const session = await w.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', user.id)
    .executeTakeFirstOrThrow();
  return {
    actor: { ...u, session: { id: session.id, elevatedUntil: elevatedUntil?.toISOString() ?? null } },
    token,
    phone,
    link,
    bankAccount: { bankCode, branchCode, accountNumber },
  };
}
