import type { BankGateway } from './banks/gateway.ts';
import type { Database } from './db/index.ts';
import { createIdentity } from './identity/index.ts';
import { createLedger } from './ledger/index.ts';
import { type Clock, type NewId, systemClock, ulidIds } from './platform/index.ts';
import { createSandboxBank } from './sandbox/bank.ts';
import { createSandboxMailbox } from './sandbox/mailbox.ts';
import { DEFAULT_POLICY, type LimitPolicy, createWallet } from './wallet/index.ts';

export interface ServiceOptions {
  database: Database;
  clock?: Clock;
  newId?: NewId;
  random?: () => number;
  policy?: LimitPolicy;
  /** A real bank connection; absent = the sandbox bank. */
  bank?: BankGateway;
  alert?: (message: string, details: Record<string, unknown>) => void;
}

/** Wires the areas together over one database: the same graph serves HTTP, the CLI, tests and benches. */
export function createServices(o: ServiceOptions) {
  const db = o.database.db;
  const clock = o.clock ?? systemClock;
  const newId = o.newId ?? ulidIds();
  const random = o.random ?? Math.random;
  const ledger = createLedger({ clock, newId });
  const mailbox = createSandboxMailbox({ db, clock, newId });
  const sandboxBank = createSandboxBank({ db, clock, newId, random, operatorName: 'Saifu' });
  const wallet = createWallet({ db, ledger, bank: o.bank ?? sandboxBank.gateway, clock, newId, policy: o.policy ?? DEFAULT_POLICY, ...(o.alert ? { alert: o.alert } : {}) });
  const identity = createIdentity({ db, clock, newId, notifier: mailbox.notifier, openWallet: async (trx, userId) => void (await wallet.accounts.openWallet(trx, userId)) });
  return { database: o.database, db, clock, newId, ledger, wallet, identity, sandbox: { bank: sandboxBank, mailbox } };
}
export type Services = ReturnType<typeof createServices>;
