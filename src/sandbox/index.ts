/**
 * sandbox: real adapters for a simulated world, used in development, tests and the simulator: sandbox banks
 * (accounts, PINs, statements, notices to holders, faults; the BankGateway and BankAuthenticator ports), the
 * sandbox eKYC registry (the IdentityProvider port), the mailbox where every SMS, email and bank notice lands,
 * the seed, and moving the simulated clock (SAIFU_SANDBOX_CLOCK). Owns the sandbox_* tables.
 * Never on in production unless a staging deployment says so loudly (config.ts). It holds no money of its own:
 * a sandbox bank account's balance is the simulated bank's, not a ledger account.
 */
export {
  createSandboxBank,
  type SandboxBank,
  type SandboxBankDeps,
  type OpenAccountInput,
  type StatementLine,
} from './bank.ts';
export { createSandboxBankAuth } from './bank-auth.ts';
export { createSandboxIdentity, type RegistryEntry } from './identity.ts';
export { createSandboxMailbox, type MailboxMessage } from './mailbox.ts';
export { seedSandbox, DEMO_MERCHANT, type SeedReport } from './seed.ts';
export { type ClockMove, isManualClock, moveSandboxClock } from './clock.ts';
export { SANDBOX_ERROR_CODES, type SandboxErrorCode } from './errors.ts';
