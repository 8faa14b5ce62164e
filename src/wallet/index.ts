/**
 * wallet: the money use cases: charge, payment, transfer, withdrawal, refund; the wallet summary and history.
 * Invariants: every movement goes through the ledger in one short transaction; limits are checked under the
 * wallet's row lock and count held charges; an object waiting for a second factor (requires_action) holds its
 * money and headroom, and its confirmation re-checks every rule of its creation; a bank is only ever called between a committed hold and its
 * post/void, never inside a transaction; charges, transfers and withdrawals are scored by the risk port (risk.ts)
 * inside their transaction before any row is written, and store the decision with the object. Never import HTTP
 * types here.
 */
import { createBankSaga } from './bank-saga.ts';
import { createCharges } from './charges.ts';
import { createAccountDirectory, type WalletDeps } from './context.ts';
import { createHistory } from './history.ts';
import { createPayments } from './payments.ts';
import { createTransfers } from './transfers.ts';
import { createReviews, holdChargesForReview, linkOfCharge } from './reviews.ts';
import { restrictionsOf as restrictionsIn } from './risk.ts';
import { createWithdrawals } from './withdrawals.ts';

export function createWallet(deps: WalletDeps) {
  const accounts = createAccountDirectory(deps);
  const links = deps.links;
  const saga = createBankSaga(deps);
  const charges = createCharges(deps, accounts, links, saga);
  const payments = createPayments(deps, accounts);
  const transfers = createTransfers(deps, accounts);
  const withdrawals = createWithdrawals(deps, accounts, links, saga);
  /** The restrictions a risk decision put on the wallet or its links, in force now, in plain words. */
  const restrictionsOf = (userId: string) => restrictionsIn(deps.risk, deps.db, userId);
  const history = createHistory(deps, accounts, charges, restrictionsOf);
  const reviews = createReviews(deps, charges, withdrawals);
  /** The periodic job's one pass: settles every charge and withdrawal whose bank call outlived `graceMs`, and voids objects left unconfirmed for 15 minutes. */
  async function settleInFlight(graceMs?: number) {
    const settled = {
      charges: await saga.settleInFlight('charges', graceMs),
      withdrawals: await saga.settleInFlight('withdrawals', graceMs),
    };
    const expired =
      (await charges.expireUnconfirmed()) +
      (await payments.expireUnconfirmed()) +
      (await transfers.expireUnconfirmed()) +
      (await withdrawals.expireUnconfirmed());
    return { ...settled, expired };
  }
  return {
    accounts,
    charges,
    payments,
    transfers,
    withdrawals,
    history,
    settleInFlight,
    holdChargesForReview,
    linkOfCharge,
    restrictionsOf,
    /** Risk reviews decided by an analyst: approve (post / send to the bank) or reject (void, `risk_rejected`). */
    approveReview: reviews.approveReview,
    rejectReview: reviews.rejectReview,
  };
}
export type Wallet = ReturnType<typeof createWallet>;

export type { WalletDeps } from './context.ts';
export { DEFAULT_POLICY, WALLET_POLICY_2020, type LimitPolicy } from './policy.ts';
export type * from './types.ts';
export { WALLET_ERROR_CODES, type WalletErrorCode } from './errors.ts';
export { REVIEW_KINDS, type ReviewKind, type ReviewOutcome, type WithDecision } from './reviews.ts';
