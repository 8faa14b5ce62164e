/**
 * banks: the Zengin bank registry, the participating banks and their per-bank settings and switches, bank links
 * (the linking flow: bank authentication of its own customer, PIN guard against reverse brute force, kana name
 * match) and the ports to a bank (BankGateway for money, BankAuthenticator for linking).
 * Owns bank_settings, bank_switch_changes, bank_links, linked_bank_accounts, link_relinks (forced re-links) and
 * withdrawal_accounts (where a wallet's withdrawals go): nothing else writes them.
 * Invariants: one authorization in progress per bank account; every PIN or code counted before the bank checks
 * it; one wallet per bank account (a CHECK) unless an operator raised it; bank_settings is never cached.
 * Never import HTTP here, and never call a bank inside a database transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import type { NoticeQueue, Notifier } from '../notify/index.ts';
import type { Clock, NewId } from '../platform/index.ts';
import type { BankAuthenticator } from './authenticator.ts';
import type { BankAccountRef } from './gateway.ts';
import { type LinkUser, type VerifiedIdentity, createLinking } from './linking.ts';
import type { LinkRisk } from './link-risk.ts';
import { createBankLinks } from './links.ts';
import { createPinGuard } from './pin-guard.ts';
import type { LinkingPolicy } from './policy.ts';
import { type RelinksDeps, createRelinks } from './relinks.ts';
import { createBankSettings } from './settings.ts';
import { createWithdrawalAccounts } from './withdrawal-accounts.ts';

export interface BanksDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  /** The bank side of linking (the sandbox banks, or a real connection). */
  authenticator: BankAuthenticator;
  notifier: Notifier;
  /** The outbox: the user hears a link is active through it; absent = not told. */
  notices?: NoticeQueue;
  /** Keys the hashes of PIN values counted across accounts. */
  pepper: string;
  policy: () => LinkingPolicy;
  operatorName: string;
  verifiedIdentity: (userId: string) => Promise<VerifiedIdentity | undefined>;
  assertSteppedUp: (user: LinkUser) => void;
  phoneOf: (userId: string) => Promise<string | undefined>;
  /** Security events for operators (the cases area, wired by the composition root), in `trx` when given. */
  openCase: (
    kind: string,
    account: BankAccountRef | undefined,
    details: Record<string, unknown>,
    trx?: Transaction<DB>,
  ) => Promise<string>;
  /** The risk engine: link attempts, authorizations and PIN/OTP failures are scored; absent = no scoring. */
  risk?: LinkRisk | undefined;
  /** The wallet user's email (withdrawal-account notices; a re-link notice when there is no phone). */
  emailOf?: ((userId: string) => Promise<string | undefined>) | undefined;
  /** The audit chain, for what runs after an operator's approval (a forced re-link's completion). */
  audit?: RelinksDeps['audit'];
  onRelinkError?: RelinksDeps['onRunError'];
}

export function createBanks(deps: BanksDeps) {
  const settings = createBankSettings(deps);
  const withdrawalAccounts = createWithdrawalAccounts(deps);
  const links = createBankLinks({ ...deps, settings, withdrawalAccounts });
  const relinks = createRelinks({ ...deps, settings, onRunError: deps.onRelinkError });
  const guard = createPinGuard(deps);
  const linking = createLinking({ ...deps, bank: deps.authenticator, guard, settings, links });
  return {
    settings,
    links,
    linking,
    /** Forced re-links (four-eyes, run in batches after approval). */
    relinks,
    /** The wallet's withdrawal account: designation with step-up and cooling-off. */
    withdrawalAccounts,
    /** The review queue's decisions on a link held for review (conditional on `in_review`). */
    approveLinkReview: linking.approveLinkReview,
    rejectLinkReview: linking.rejectLinkReview,
  };
}
export type Banks = ReturnType<typeof createBanks>;

export type { AuthMethod, ApprovalState, BankAuthenticator, CodeCheck, Holder, PinCheck } from './authenticator.ts';
export {
  type BankAccountRef,
  type BankGateway,
  type BankMovement,
  type BankOutcome,
  type InquiryOutcome,
  BankTimeoutError,
  BankUnavailableError,
  descriptorFor,
} from './gateway.ts';
export type { Authorization, LinkRequest, LinkUser, LinkView, Linking, VerifiedIdentity } from './linking.ts';
export { NAME_REVIEW_FLOOR } from './linking.ts';
export type {
  LinkEventType,
  LinkRisk,
  LinkRiskEvent,
  LinkRiskSignals,
  LinkVerdict,
  ScoredLinkEvent,
} from './link-risk.ts';
export type { BankLink, BankLinkInput, BankLinks } from './links.ts';
export type { Source } from './pin-guard.ts';
export { DEFAULT_LINKING_POLICY, LINKING_POLICY_2020, type LinkingPolicy } from './policy.ts';
export type { BankSettings, BankSwitches, BankView, CatalogueEntry, Page, SwitchChange } from './settings.ts';
export { seedParticipatingBanks } from './seed.ts';
export {
  findBank,
  findBranch,
  listBanks,
  listBranches,
  japanPostToZengin,
  PARTICIPATING_BANKS,
} from './registry/index.ts';
export { isValidZenginName, scoreNameMatch } from './names/index.ts';
export { BANKS_ERROR_CODES, type BanksErrorCode } from './errors.ts';
export { FORCE_RELINK_APPROVAL, MAX_RELINK_REASON, RELINK_BATCH, type RelinkView, type Relinks } from './relinks.ts';
export type { WithdrawalAccountView, WithdrawalAccounts } from './withdrawal-accounts.ts';
