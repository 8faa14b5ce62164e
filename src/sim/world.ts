import { seedParticipatingBanks } from '../banks/index.ts';
import { type Database, migrate, openDatabase } from '../db/index.ts';
import { ManualClock, ulidIds } from '../platform/index.ts';
import { type Services, createServices } from '../services.ts';
import type { SimConfig } from './configs.ts';
import type { Dice } from './random.ts';

/** The simulated clock starts here (a Tuesday, 09:00 in Tokyo). */
export const SIM_START = Date.parse('2026-11-10T00:00:00Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * The banks the simulated people use: `otp` banks in Saifu's world; the 2020 configuration (and `no-bank-mfa`)
 * turns them to `legacy_pin`, as the 2020 banks were.
 */
export const SIM_BANKS = ['0001', '0163', '0158', '0157', '0149', '0125'] as const;

export interface SimWorld extends Services {
  clock: ManualClock;
  /** Statements run so far and the time spent in them: where a run's time goes. */
  statements: { count: number; ms: number };
  close(): Promise<void>;
}

/**
 * Saifu's real services over a fresh database, on a hand-moved clock with seeded ids. Password and PIN hashing run
 * at a low argon2 cost (`hashCost`): the simulator measures the defences, not the hash.
 */
export async function openSimWorld(config: SimConfig, dice: Dice, databaseUrl?: string): Promise<SimWorld> {
  const statements = { count: 0, ms: 0 };
  const onStatement = (ms: number) => {
    statements.count++;
    statements.ms += ms;
  };
  const database: Database = await openDatabase(databaseUrl ? { url: databaseUrl, onStatement } : { onStatement });
  await migrate(database.db);
  const used = await database.db.selectFrom('users').select('id').limit(1).execute();
  if (used.length > 0) {
    await database.close();
    throw new Error('the database already holds users: the simulator needs an empty database');
  }
  const clock = new ManualClock(new Date(SIM_START));
  const random = dice.fork('services').next;
  const services = createServices({
    database,
    clock,
    random,
    newId: ulidIds({ random: dice.fork('ids').next, clock }),
    linkingPolicy: config.linkingPolicy,
    policy: config.walletPolicy,
    risk: config.risk,
    hashCost: { memoryCost: 1024, timeCost: 1 },
  });
  await seedParticipatingBanks(database.db, clock);
  // The banks' own choice of authentication (the simulated world, not a Saifu switch).
  if (config.legacyPinBanks)
    await database.db
      .updateTable('bank_settings')
      .set({ auth_method: 'legacy_pin' })
      .where('bank_code', 'in', [...SIM_BANKS])
      .execute();
  return { ...services, clock, statements, close: () => database.close() };
}
