import { sql } from 'kysely';
import type { DB, Kysely } from '../db/index.ts';
import { verifyLedger } from '../ledger/index.ts';
import type { SimApi } from './api.ts';
import type { BankAccount } from './people.ts';
import { accountKey } from './victims.ts';

/**
 * What the criminals did, as the simulator saw it happen (ground truth, for measuring only: no defence reads it):
 * the links they made and to which account, every charge they created, what their cash-out steps moved, the
 * wallets they opened.
 */
export interface Observed {
  attackerLinks: Map<string, BankAccount>;
  attackerCharges: Set<string>;
  cashedOutYen: number;
  attackerWallets: number;
}

export const newObserved = (): Observed => ({
  attackerLinks: new Map(),
  attackerCharges: new Set(),
  cashedOutYen: 0,
  attackerWallets: 0,
});

/** The measurements a run ends with: from Saifu's database when the simulator can read it, else from the banks. */
export interface GroundTruth {
  /** Debited from victims' accounts through the criminals' links, and how many accounts. */
  stolen(): Promise<{ yen: number; accounts: number }>;
  /** What reached the criminals: withdrawn, paid to their fence, sent to their mules. */
  cashedOut(): Promise<number>;
  /** Analyst cases opened, by kind; null when the simulator cannot read them. */
  cases(): Promise<Record<string, number> | null>;
  /** The ledger's own verification; null when the simulator cannot run it. */
  ledgerVerified(): Promise<boolean | null>;
}

/** Read from Saifu's database (in-process, or the database behind a `--target` server). */
export function databaseTruth(db: Kysely<DB>, seen: Observed): GroundTruth {
  return {
    async stolen() {
      if (seen.attackerLinks.size === 0) return { yen: 0, accounts: 0 };
      const rows = await db
        .selectFrom('charges')
        .select(['bank_link_id', 'amount'])
        .where('status', '=', 'succeeded')
        .where('bank_link_id', 'in', [...seen.attackerLinks.keys()])
        .execute();
      const accounts = new Set(rows.map((r) => accountKey(seen.attackerLinks.get(r.bank_link_id)!)));
      return { yen: rows.reduce((s, r) => s + Number(r.amount), 0), accounts: accounts.size };
    },
    async cashedOut() {
      // The criminals' wallets sign up as drop…@, their mules as mule…@.
      const drops = db.selectFrom('users').select('id').where('email', 'like', 'drop%');
      const mules = db.selectFrom('users').select('id').where('email', 'like', 'mule%');
      const yen = sql<number>`coalesce(sum(amount), 0)::int8`.as('yen');
      const [withdrawn, paid, sent] = await Promise.all(
        [
          db.selectFrom('withdrawals').select(yen).where('status', '=', 'succeeded').where('user_id', 'in', drops),
          db.selectFrom('payments').select(yen).where('status', '=', 'succeeded').where('user_id', 'in', drops),
          db
            .selectFrom('wallet_transfers')
            .select(yen)
            .where('status', '=', 'succeeded')
            .where('from_user_id', 'in', drops)
            .where('to_user_id', 'in', mules),
        ].map((q) => q.executeTakeFirstOrThrow()),
      );
      return Number(withdrawn!.yen) + Number(paid!.yen) + Number(sent!.yen);
    },
    async cases() {
      const rows = await db
        .selectFrom('cases')
        .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('kind')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
    },
    ledgerVerified: async () => (await verifyLedger(db)).length === 0,
  };
}

/**
 * Read from the banks, over the sandbox API (a `--target` server whose database the simulator cannot open): a
 * victim's loss is what their statement shows debited under the references of the criminals' charges; cash-out is
 * what the criminals' own steps reported done. Cases and the ledger are the server's to check (`saifu ledger verify`).
 */
export function bankTruth(api: SimApi, seen: Observed): GroundTruth {
  return {
    async stolen() {
      const accounts = new Map<string, BankAccount>();
      for (const a of seen.attackerLinks.values()) accounts.set(accountKey(a), a);
      let yen = 0;
      let hit = 0;
      for (const a of accounts.values()) {
        let debited = 0;
        for (const line of await api.statement(a)) if (seen.attackerCharges.has(line.reference)) debited -= line.amount;
        yen += debited;
        if (debited > 0) hit++;
      }
      return { yen, accounts: hit };
    },
    cashedOut: async () => seen.cashedOutYen,
    cases: async () => null,
    ledgerVerified: async () => null,
  };
}
