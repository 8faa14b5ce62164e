import { createAttemptCounter } from './attempts/index.ts';
import type { BankGateway } from './banks/gateway.ts';
import { createLinking } from './banks/linking.ts';
import { createPinGuard } from './banks/pin-guard.ts';
import { DEFAULT_LINKING_POLICY, type LinkingPolicy } from './banks/policy.ts';
import { openCase, reportUnauthorized } from './banks/reports.ts';
import { createSandboxBankAuth } from './sandbox/bank-auth.ts';
import type { Database } from './db/index.ts';
import { type IdentityProvider, type RelyingParty, assertSteppedUp, createAccountSecurity, createEkyc, createIdentity, createMfa, createPasskeys, createSecretBox } from './identity/index.ts';
import { createSandboxIdentity } from './sandbox/identity.ts';
import { createLedger } from './ledger/index.ts';
import { createAudit, createOps } from './ops/index.ts';
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
  linkingPolicy?: LinkingPolicy;
  /** Server secret: encrypts TOTP seeds and keys the hashes of PIN values counted across accounts. */
  secretKey?: string;
  operatorName?: string;
  /** Who passkeys are registered with (WebAuthn relying party); default localhost:3000. */
  relyingParty?: RelyingParty;
  /** A real eKYC provider; absent = the sandbox registry. */
  identityProvider?: IdentityProvider;
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
  const secretKey = o.secretKey ?? 'saifu-development-secret';
  // Identity caches sessions for a second; what changes a session's user tells it to forget them (bound below).
  let forgetUser = (_userId: string): void => {};
  const passkeys = createPasskeys({ db, clock, rp: o.relyingParty ?? { id: 'localhost', name: 'Saifu', origin: 'http://localhost:3000' } });
  const mfa = createMfa({ db, clock, box: createSecretBox(secretKey), notifier: mailbox.notifier, passkeys, onUserChanged: (id) => forgetUser(id) });
  const identity = createIdentity({ db, clock, newId, notifier: mailbox.notifier, mfa, openWallet: async (trx, userId) => void (await wallet.accounts.openWallet(trx, userId)) });
  const sandboxIdentity = createSandboxIdentity({ db, clock, newId });
  forgetUser = identity.forgetUser;
  const security = createAccountSecurity({ db, clock, notifier: mailbox.notifier, mfa, passkeys, identity });
  // Documents are kept as HMACs under the server secret; operators' allowances go to the audit chain.
  const audit = createAudit({ clock, newId });
  const ekyc = createEkyc({ db, clock, newId, provider: o.identityProvider ?? sandboxIdentity.provider, documentKey: secretKey, audit: (trx, e) => audit.append(trx, e), onUserChanged: (id) => forgetUser(id) });
  const operatorName = o.operatorName ?? 'Saifu';
  // Held in a variable so tests and the simulator can switch the whole set of defences at run time.
  let linkingPolicy = o.linkingPolicy ?? DEFAULT_LINKING_POLICY;
  const policy = () => linkingPolicy;
  const bankAuth = createSandboxBankAuth({ db, clock, newId, notifier: mailbox.notifier });
  const guard = createPinGuard({ db, clock, pepper: secretKey, policy });
  const linking = createLinking({
    db,
    clock,
    newId,
    bank: bankAuth,
    notifier: mailbox.notifier,
    guard,
    policy,
    operatorName,
    verifiedIdentity: (userId) => ekyc.verifiedIdentityOf(userId),
    assertSteppedUp: (user) => assertSteppedUp(user, clock.now()),
    activate: (linkId, account, maxLinks) => wallet.links.activate(linkId, account, maxLinks),
    openCase: (kind, account, details) => openCase({ db, clock, newId }, kind, account, details),
  });
  const reports = {
    reportUnauthorized: async (account: { bankCode: string; branchCode: string; accountNumber: string }) => {
      const r = await reportUnauthorized({ db, clock, newId }, account);
      for (const userId of r.frozenWallets) forgetUser(userId);
      return r;
    },
  };
  const setLinkingPolicy = (p: LinkingPolicy) => {
    linkingPolicy = p;
  };
  const ops = createOps({ db, clock, newId });
  // The periodic job sweeps finished attempt windows; each area counts through its own counter on the same table.
  const attempts = createAttemptCounter({ db, clock });
  return { database: o.database, db, clock, newId, attempts, ledger, wallet, identity, mfa, passkeys, security, ekyc, ops, linking, reports, setLinkingPolicy, linkingPolicy: policy, sandbox: { bank: sandboxBank, bankAuth, mailbox, identity: sandboxIdentity } };
}
export type Services = ReturnType<typeof createServices>;
