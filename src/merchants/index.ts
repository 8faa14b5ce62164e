/**
 * merchants: merchants in production. Operators onboard them (legal kana name, payout bank account whose holder
 * name the bank confirms and the banks' name matcher scores, webhook URL), issue and rotate their API keys and
 * suspend them; merchants create payment requests that a wallet pays by id, once.
 * Owns the columns of `merchants` added by migration 0022 (status, payout account, webhook URL, the previous key's
 * hash and expiry) and the `payment_requests` table. The wallet still creates the sandbox's quick merchants
 * (`wallet.payments.createMerchant`: the 0002 columns only, active, no payout account) and reads merchants' ledger
 * accounts; everything else about a merchant is written here.
 * Invariants: API keys are stored only as SHA-256 hashes and shown once; a rotated-out key works until its expiry
 * and never after; a request is paid by at most one payment, marked in the payment's own statement (a CHECK makes
 * a second payer's statement fail whole); a suspended merchant neither creates requests nor receives payments;
 * every operator change is audited in its own transaction; webhooks are written in the event's transaction.
 * Never: call a bank inside a transaction, keep a key in clear, import HTTP types.
 */
import { createMerchantAccounts } from './onboarding.ts';
import { createPaymentRequests } from './requests.ts';
import type { MerchantsDeps } from './types.ts';

export function createMerchants(deps: MerchantsDeps) {
  const accounts = createMerchantAccounts(deps);
  const requests = createPaymentRequests(deps, accounts);
  return { ...accounts, requests, refund: requests.refund };
}
export type Merchants = ReturnType<typeof createMerchants>;

export { DEFAULT_KEY_GRACE_MS, type Onboarding } from './onboarding.ts';
export { MAX_REQUEST_LIFETIME_MS } from './requests.ts';
export { qrPayload } from './repository.ts';
export { MERCHANTS_ERROR_CODES, type MerchantsErrorCode } from './errors.ts';
export type * from './types.ts';
