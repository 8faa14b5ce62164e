import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AccountType, BankLinksTable, DB, LinkFailureCode, LinkPurpose } from '../db/index.ts';
import type { NoticeQueue, Notifier } from '../notify/index.ts';
import { inTransaction, isUniqueViolation } from '../db/index.ts';
import { assertMay } from '../identity/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import type { AuthMethod, BankAuthenticator } from './authenticator.ts';
import type { BankAccountRef } from './gateway.ts';
import { scoreNameMatch } from './names/index.ts';
import type { BankLinks } from './links.ts';
import {
  type LinkRisk,
  type LinkVerdict,
  type ScoredLinkEvent,
  createLinkScoring,
  riskDenied,
  stronger,
  verdictFromColumn,
  verdictOf,
} from './link-risk.ts';
import * as repo from './repository.ts';
import type { PinGuard, Source } from './pin-guard.ts';
import type { BankSettings } from './settings.ts';
import type { LinkingPolicy } from './policy.ts';
import { findBank, findBranch, japanPostToZengin } from './registry/index.ts';

export interface LinkUser {
  id: string;
  phone: string;
  phoneConfirmed: boolean;
  verification: string;
  frozen: boolean;
  /** Sign-up time (ISO), for the risk engine's account age. */
  createdAt?: string;
}

export interface VerifiedIdentity {
  familyNameKana: string;
  givenNameKana: string;
  birthDate: string;
}

export interface LinkingDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  bank: BankAuthenticator;
  notifier: Notifier;
  /** The outbox (the "linked" notice to the user); absent = not told. */
  notices?: NoticeQueue | undefined;
  guard: PinGuard;
  policy: () => LinkingPolicy;
  operatorName: string;
  verifiedIdentity: (userId: string) => Promise<VerifiedIdentity | undefined>;
  /** Throws step_up_required unless the user's session holds a fresh second factor. */
  assertSteppedUp: (user: LinkUser) => void;
  settings: BankSettings;
  links: BankLinks;
  /** The wallet user's phone, for the "linked" notice (identity owns users). */
  phoneOf: (userId: string) => Promise<string | undefined>;
  /** Security events for operators (reverse brute force detected, a link held for review…). */
  openCase: (
    kind: string,
    account: BankAccountRef | undefined,
    details: Record<string, unknown>,
    trx?: Transaction<DB>,
  ) => Promise<string>;
  /** The risk engine; absent = no scoring (the name-match threshold alone decides). */
  risk?: LinkRisk | undefined;
}

/** With the engine, a name score from here up to the threshold goes to it (`nameMatchScore`) instead of failing. */
export const NAME_REVIEW_FLOOR = 70;

export interface LinkRequest {
  bankCode: string;
  branchCode?: string | undefined;
  accountType?: AccountType | undefined;
  accountNumber?: string | undefined;
  jpSymbol?: string | undefined;
  jpNumber?: string | undefined;
  /** `withdrawals`: a link only withdrawals go to, never charged; once active it is the withdrawal account. */
  purpose?: LinkPurpose | undefined;
}

export interface Authorization {
  method: AuthMethod;
  step: 'pin' | 'otp' | 'app';
  attemptsLeft: number;
  expiresAt: string;
}

export interface LinkView {
  id: string;
  status: Selectable<BankLinksTable>['status'];
  bankCode: string;
  branchCode: string;
  accountType: AccountType;
  accountNumberLast4: string;
  purpose: LinkPurpose;
  failureCode?: LinkFailureCode;
  nameMatch?: { score: number };
  authorization?: Authorization;
  createdAt: string;
  activatedAt?: string;
  /** The decision of the link attempt (allow/0/0 for links from before the engine). */
  risk: LinkVerdict;
}

type LinkRow = Selectable<BankLinksTable>;

/** The public linking flow: create a pending link, let the bank authenticate its customer, match names, activate. */
export function createLinking(deps: LinkingDeps) {
  const { db, clock } = deps;
  const scoring = createLinkScoring(deps);
  const ref = (l: LinkRow): BankAccountRef => ({
    bankCode: l.bank_code,
    branchCode: l.branch_code,
    accountType: l.account_type,
    accountNumber: l.account_number,
  });

  async function startLink(user: LinkUser, req: LinkRequest, source: Source): Promise<LinkView> {
    const policy = deps.policy();
    assertMay(
      user,
      { phoneConfirmed: policy.requirePhoneConfirmed, verified: policy.requireVerifiedIdentity, notFrozen: true },
      'link a bank account',
    );
    const account = resolveAccount(req);
    const settings = await deps.settings.settingsOf(account.bankCode);
    if (!settings?.participating)
      throw new AppError('bank_not_participating', `bank ${account.bankCode} does not take part in Saifu`, {
        bankCode: account.bankCode,
      });
    if (!settings.linking)
      throw new AppError('linking_suspended', 'this bank has suspended new links', { bankCode: account.bankCode });
    const method = (settings.authMethod ?? 'otp') as AuthMethod;
    if (method === 'legacy_pin' && !policy.allowLegacyPin)
      throw new AppError(
        'auth_method_not_allowed',
        'this bank authenticates links with a PIN alone, which Saifu does not accept',
        { bankCode: account.bankCode, authMethod: method },
      );
    if (account.accountType === 'savings')
      throw new AppError('account_type_not_supported', 'savings accounts (貯蓄預金) cannot be debited for charges');
    // A withdrawals-only link changes where withdrawals go once active: like POST …/withdrawal-account, it needs a
    // fresh second factor whatever the linking policy says, and this is the user's only moment to give it.
    const purpose = req.purpose ?? 'charges_and_withdrawals';
    if (policy.requireStepUp || purpose === 'withdrawals') deps.assertSteppedUp(user);
    const id = deps.newId('lnk');
    const now = clock.now();
    await repo.closeExpiredAuthorizations(db, account, now);
    const scored = await scoreStart(user, account, id, source);
    try {
      await inTransaction(db, async (trx) => {
        await repo.insertPendingLink(trx, {
          id,
          userId: user.id,
          account,
          method,
          attempts: policy.attempts,
          expiresAt: new Date(now.getTime() + policy.authorizationTtlMs),
          deviceId: source.deviceId ?? null,
          ip: source.ip ?? null,
          at: now,
          ...(scored ? { risk: JSON.stringify(verdictOf(scored)) } : {}),
          purpose,
        });
        await scoring.record(trx, scored, id);
      });
    } catch (e) {
      // At most one authorization in progress per bank account (a unique index): a burst of links to one
      // account cannot multiply the guesses at its PIN. It lasts at most authorizationTtlMs.
      if (isUniqueViolation(e, 'bank_links_one_pending_per_account'))
        throw new AppError(
          'authorization_in_progress',
          'another link to this bank account is being authorized: try again in a few minutes',
          { retryAfterSeconds: Math.ceil(policy.authorizationTtlMs / 1000) },
        );
      throw e;
    }
    return view(await load(user.id, id));
  }

  /**
   * The link attempt, scored before anything is written: deny → 422 risk_denied (the attempt stored, no link);
   * challenge → the session must hold a fresh factor (the step-up linking asks for anyway, enforced here even when
   * the policy does not ask for it); review → the link goes on to the bank and is held for review once authenticated.
   */
  async function scoreStart(
    user: LinkUser,
    account: BankAccountRef,
    linkId: string,
    source: Source,
  ): Promise<ScoredLinkEvent | undefined> {
    const scored = await scoring.score('link', user, account, linkId, source);
    if (!scored) return undefined;
    if (scored.decision === 'deny') {
      await scoring.storeDenied(scored, undefined);
      throw riskDenied(scored);
    }
    if (scored.decision === 'challenge') {
      try {
        deps.assertSteppedUp(user);
      } catch (e) {
        await scoring.store(scored, undefined);
        throw e;
      }
    }
    return scored;
  }

  /** Turns the request into a Zengin account: bank and branch must exist; Japan Post symbol/number converted. */
  function resolveAccount(req: LinkRequest): BankAccountRef {
    if (!findBank(req.bankCode))
      throw new AppError('unknown_bank', `no bank with code ${req.bankCode}`, { bankCode: req.bankCode });
    let { branchCode, accountNumber } = req;
    let accountType: AccountType = req.accountType ?? 'ordinary';
    if (req.jpSymbol !== undefined || req.jpNumber !== undefined) {
      if (req.bankCode !== '9900')
        throw new AppError('invalid_request', 'jpSymbol/jpNumber are for Japan Post Bank (9900) only');
      try {
        const z = japanPostToZengin(req.jpSymbol ?? '', req.jpNumber ?? '');
        ({ branchCode, accountNumber } = z);
        accountType = z.accountType;
      } catch (e) {
        throw new AppError(
          'invalid_account_number',
          e instanceof Error ? e.message : 'invalid Japan Post symbol/number',
        );
      }
    }
    if (!branchCode || !/^\d{3}$/.test(branchCode))
      throw new AppError('invalid_request', 'branchCode must be 3 digits', { field: 'branchCode' });
    if (!accountNumber || !/^\d{7}$/.test(accountNumber))
      throw new AppError(
        'invalid_account_number',
        'account numbers are exactly 7 digits (pad shorter ones with leading zeros)',
        { field: 'accountNumber' },
      );
    if (!findBranch(req.bankCode, branchCode))
      throw new AppError('unknown_branch', `bank ${req.bankCode} has no branch ${branchCode}`, {
        bankCode: req.bankCode,
        branchCode,
      });
    return { bankCode: req.bankCode, branchCode, accountType, accountNumber };
  }

  /**
   * One step of a link authorization. Every PIN or code is counted before anyone checks it: the link's attempt
   * is taken by a conditional UPDATE (attempts_left > 0), and a PIN also from the reverse-brute-force budgets
   * (PIN value, IP, device, user). So however many requests arrive at once, at most `attempts` guesses per link
   * reach the bank; the rest answer 429. A right answer gives its attempt back.
   */
  async function authorize(
    user: LinkUser,
    id: string,
    input: { pin?: string; birthDate?: string; otp?: string },
    source: Source,
  ): Promise<LinkView> {
    const link = await load(user.id, id);
    if (link.status !== 'pending_authorization')
      throw new AppError('invalid_state', `the link is ${link.status}`, { status: link.status });
    // One channel for expiry (docs/api.md): the link exists and changes state, so the answer is 200 with the link
    // `failed`/`authorization_expired`, whether the clock, the bank's OTP or the holder's approval ran out.
    if (link.expires_at && new Date(link.expires_at) <= clock.now()) return expire(link);
    const settings = await deps.settings.settingsOf(link.bank_code);
    if (!settings?.linking) throw new AppError('linking_suspended', 'this bank has suspended new links');
    if (link.auth_step === 'app') return view(await pollApproval(link, true));
    if (link.auth_step === 'otp') return authorizeOtp(link, input.otp, source);
    if (!input.pin || !/^\d{4}$/.test(input.pin))
      throw new AppError('invalid_request', 'pin must be the 4-digit cash-card PIN', { field: 'pin' });
    return authorizePin(user, link, input.pin, input.birthDate, input.otp, source);
  }

  async function authorizePin(
    user: LinkUser,
    link: LinkRow,
    pin: string,
    birthDateInput: string | undefined,
    otp: string | undefined,
    source: Source,
  ): Promise<LinkView> {
    const guarded = await deps.guard.take(pin, source, user.id);
    if ('refusedBy' in guarded) {
      // One case per link stopped, not one per refused request: a burst must not grow the review queue.
      if (await fail(link, 'bank_auth_failed'))
        await deps.openCase('reverse_brute_force', ref(link), {
          by: guarded.refusedBy,
          userId: user.id,
          linkId: link.id,
          deviceId: source.deviceId,
          ip: source.ip,
        });
      throw new AppError('too_many_attempts', 'too many failed PIN attempts: linking is blocked for a while', {
        retryAfterSeconds: guarded.retryAfterSeconds,
      });
    }
    const authorizing = await scoring.score('link_authorization', user, ref(link), link.id, source, { pin });
    if (authorizing?.decision === 'deny') {
      await guarded.ticket.refund();
      await refuseByRisk(link, authorizing, source);
    }
    await scoring.store(authorizing, link.id);
    const taken = await takeAttempt(link, 'pin');
    if (!taken) {
      await guarded.ticket.refund();
      return refuseUnchecked(link);
    }
    const birthDate = link.auth_method === 'legacy_pin' ? birthDateInput : undefined;
    const checked = await deps.bank.checkPin(ref(link), pin, birthDate);
    if (!checked.ok) {
      await guarded.ticket.failed();
      if (checked.reason === 'locked') {
        await scoreFailure(link, source, await fail(link, 'bank_account_locked'), pin);
        return view(await load(link.user_id, link.id));
      }
      const after = await afterWrongAnswer(taken, 'bank_auth_failed');
      await scoreFailure(link, source, taken.attempts_left <= 0, pin);
      return view(await load(after.user_id, after.id));
    }
    await guarded.ticket.succeeded();
    await giveAttemptBack(link.id);
    if (link.auth_method !== 'otp') return view(await finish(taken));
    // Only the request that moves the link from PIN to code has the bank send a code.
    const moved = await repo.moveToOtpStep(db, link.id);
    if (moved) await deps.bank.sendOtp(ref(link), link.id, deps.operatorName);
    if (otp && moved) return authorizeOtp(moved, otp, source);
    return view(await load(link.user_id, link.id));
  }

  async function authorizeOtp(link: LinkRow, otp: string | undefined, source: Source): Promise<LinkView> {
    if (!otp)
      throw new AppError('invalid_request', 'send the one-time code the bank sent to the account holder’s phone', {
        field: 'otp',
      });
    const authorizing = await scoring.score('link_authorization', { id: link.user_id }, ref(link), link.id, source);
    if (authorizing?.decision === 'deny') await refuseByRisk(link, authorizing, source);
    await scoring.store(authorizing, link.id);
    const taken = await takeAttempt(link, 'otp');
    if (!taken) return refuseUnchecked(link);
    const r = await deps.bank.checkOtp(link.id, otp);
    if (r === 'ok') {
      await giveAttemptBack(link.id);
      return view(await finish(taken));
    }
    if (r === 'wrong') {
      const after = await afterWrongAnswer(taken, 'invalid_otp');
      await scoreFailure(link, source, taken.attempts_left <= 0);
      return view(await load(after.user_id, after.id));
    }
    await fail(link, r === 'expired' ? 'authorization_expired' : 'bank_auth_failed');
    return view(await load(link.user_id, link.id));
  }

  /**
   * A denied authorization step: the secret is not checked, the link fails and operators get the
   * reverse-brute-force case (one per link), as when the PIN guard refuses; 422 risk_denied.
   */
  async function refuseByRisk(link: LinkRow, a: ScoredLinkEvent, source: Source): Promise<never> {
    await scoring.storeDenied(a, link.id);
    if (await fail(link, 'bank_auth_failed'))
      await deps.openCase('reverse_brute_force', ref(link), {
        by: 'risk',
        reasons: verdictOf(a).reasons,
        userId: link.user_id,
        linkId: link.id,
        deviceId: source.deviceId,
        ip: source.ip,
      });
    throw riskDenied(a);
  }

  /**
   * Every wrong PIN or code is an event of its own (`pin_failure`), stored; a deny fails the link's authorization
   * and opens the reverse-brute-force case (once: only when this call ended the authorization).
   */
  async function scoreFailure(link: LinkRow, source: Source, endedByThis: boolean, pin?: string): Promise<void> {
    const a = await scoring.score('pin_failure', { id: link.user_id }, ref(link), link.id, source, {
      ...(pin !== undefined ? { pin, pinFailuresIncludingThis: true } : {}),
    });
    if (!a) return;
    await scoring.store(a, link.id);
    if (a.decision !== 'deny') return;
    if ((await fail(link, 'bank_auth_failed')) || endedByThis)
      await deps.openCase('reverse_brute_force', ref(link), {
        by: 'risk',
        reasons: verdictOf(a).reasons,
        userId: link.user_id,
        linkId: link.id,
        deviceId: source.deviceId,
        ip: source.ip,
      });
  }

  /** Takes one of the link's attempts for a guess at `step`, atomically; undefined when none is left. */
  const takeAttempt = (link: LinkRow, step: 'pin' | 'otp') => repo.takeAttempt(db, link.id, step, clock.now());
  const giveAttemptBack = (linkId: string) => repo.giveAttemptBack(db, linkId);

  /** The authorization ran out of time before the bank was asked: the link fails, and says so. */
  async function expire(link: LinkRow): Promise<LinkView> {
    await fail(link, 'authorization_expired');
    return view(await load(link.user_id, link.id));
  }

  /** The guess was not checked: the link's attempts are all spent or in flight, it expired, or it moved on meanwhile. */
  async function refuseUnchecked(link: LinkRow): Promise<LinkView> {
    const now = await load(link.user_id, link.id);
    if (now.status === 'pending_authorization' && now.expires_at && new Date(now.expires_at) <= clock.now())
      return expire(now);
    if (now.status !== 'pending_authorization')
      throw new AppError('invalid_state', `the link is ${now.status}`, { status: now.status });
    throw new AppError('too_many_attempts', 'every attempt of this authorization is used or being checked', {
      retryAfterSeconds: 1,
    });
  }

  /** A wrong PIN or code: the attempt stays spent; the holder hears of it; the last one fails the link. */
  async function afterWrongAnswer(taken: LinkRow, code: LinkFailureCode): Promise<LinkRow> {
    if (deps.policy().notifyHolder)
      await deps.bank.notifyHolder(
        ref(taken),
        `${deps.operatorName} との口座連携で認証に失敗しました (連携ID ${taken.id})。お心当たりのない場合は銀行へご連絡ください。`,
      );
    if (taken.attempts_left <= 0) await fail(taken, code, false);
    return load(taken.user_id, taken.id);
  }

  /** For `app` banks: asks the bank whether the holder approved; finishes the link when they have. */
  async function pollApproval(link: LinkRow, request: boolean): Promise<LinkRow> {
    if (request) await deps.bank.requestApproval(ref(link), link.id, deps.operatorName);
    const state = await deps.bank.approvalState(link.id);
    if (state === 'approved') return finish(link);
    if (state === 'denied' || state === 'expired') {
      await fail(link, state === 'denied' ? 'bank_auth_failed' : 'authorization_expired');
      return load(link.user_id, link.id);
    }
    return link;
  }

  /** The bank has authenticated its customer: check birth date and name against the verified identity, then activate. */
  async function finish(link: LinkRow): Promise<LinkRow> {
    const policy = deps.policy();
    const holder = await deps.bank.holder(ref(link));
    const identity = await deps.verifiedIdentity(link.user_id);
    if (!holder) return failAndLoad(link, 'bank_auth_failed');
    // One answer for a wrong birth date, a wrong name and a missing verified identity: details that said which
    // would tell whoever holds phished data what to fix. The score is kept for operators, not shown.
    const birthDateOk =
      !policy.requireBirthDateMatch || (identity !== undefined && identity.birthDate === holder.birthDate);
    let score: number | null = null;
    let nameOk = true;
    if (policy.nameMatchThreshold > 0) {
      score = identity ? scoreNameMatch(holder.nameKana, identity).score : 0;
      // With the engine, the review band below the threshold is the engine's to decide (`name_match_review_band`).
      const floor = scoring.enabled
        ? Math.min(NAME_REVIEW_FLOOR, policy.nameMatchThreshold)
        : policy.nameMatchThreshold;
      nameOk = score >= floor;
    }
    if (!birthDateOk || !nameOk) return failAndLoad(link, 'name_mismatch', { reason: 'holder_mismatch' }, score);
    const held = await scoreAuthenticated(link, score);
    if (held) return held;
    try {
      await deps.links.activate(link.id, ref(link), policy.maxWalletsPerAccount);
    } catch (e) {
      if (e instanceof AppError && e.code === 'account_already_linked')
        return failAndLoad(link, 'account_already_linked', {}, score);
      throw e;
    }
    if (score !== null) await repo.recordNameMatch(db, link.id, score);
    await announceLinked(link);
    return load(link.user_id, link.id);
  }

  /**
   * The link attempt scored again once the bank has authenticated its customer, with what only the bank could tell
   * (the name-match score): the link's decision is the stronger of this and the start's. deny → the link fails
   * (`risk_denied`); review → it is held (`in_review`, never usable for charges) with a `risk_review` case, in one
   * transaction; a challenge was met by the step-up at the start. Returns the link when it did not go on.
   */
  async function scoreAuthenticated(link: LinkRow, score: number | null): Promise<LinkRow | undefined> {
    const source = { deviceId: link.device_id ?? undefined, ip: link.ip ?? undefined };
    const a = await scoring.score('link', { id: link.user_id }, ref(link), link.id, source, {
      ...(score !== null ? { nameMatchScore: score } : {}),
    });
    if (!a) return undefined;
    const verdict = stronger(verdictFromColumn(link.risk), verdictOf(a));
    if (a.decision === 'deny') {
      await scoring.storeDenied(a, link.id);
      await repo.setLinkRisk(db, link.id, JSON.stringify(verdictOf(a)));
      return failAndLoad(link, 'risk_denied', {}, score);
    }
    const held = await inTransaction(db, async (trx) => {
      await scoring.record(trx, a, link.id);
      await repo.setLinkRisk(trx, link.id, JSON.stringify(verdict));
      if (verdict.decision !== 'review' || !(await repo.holdLinkForReview(trx, link.id, score))) return false;
      await deps.openCase(
        'risk_review',
        ref(link),
        { object: 'bank_link', objectId: link.id, userId: link.user_id, risk: verdict },
        trx,
      );
      return true;
    });
    return held ? load(link.user_id, link.id) : undefined;
  }

  /** Tells the holder (bank notice) and the wallet user (SMS) that the account is linked. */
  async function announceLinked(link: LinkRow): Promise<void> {
    const policy = deps.policy();
    if (policy.notifyHolder)
      await deps.bank.notifyHolder(
        ref(link),
        `ご本人様の口座が ${deps.operatorName} のウォレットに連携されました (連携ID ${link.id})。お心当たりのない場合はすぐに銀行へご連絡ください。`,
      );
    // Activation committed in its own transaction (links.activate): the notice is enqueued right after it.
    await deps.notices?.enqueue(db, {
      channel: 'sms',
      to: { userId: link.user_id },
      template: 'link_activated',
      data: { bankCode: link.bank_code, last4: link.account_number.slice(-4), linkId: link.id },
      idempotencyKey: `link_activated:${link.id}`,
    });
  }

  async function loadForReview(linkId: string): Promise<LinkRow> {
    const link = await repo.findLinkById(db, linkId);
    if (!link) throw new AppError('unknown_bank_link', `no bank link ${linkId}`, { bankLinkId: linkId });
    if (link.status !== 'in_review')
      throw new AppError('invalid_state', `the link is ${link.status}, not in review`, { status: link.status });
    return link;
  }

  /**
   * An analyst approves a link held for review: it becomes active (counted against its bank account, which may
   * by now serve another wallet: then it fails `account_already_linked`) and the holder and user are told.
   * Conditional on the status: of racing decisions one wins, the other gets 409 invalid_state. The caller audits
   * `operator`'s decision.
   */
  /** `alongside` commits with the decision (the review queue's case record and audit). */
  async function approveLinkReview(
    linkId: string,
    _operator: string,
    alongside?: (trx: Transaction<DB>) => Promise<void>,
  ): Promise<LinkView> {
    const link = await loadForReview(linkId);
    try {
      await deps.links.activate(
        link.id,
        ref(link),
        deps.policy().maxWalletsPerAccount,
        clock.now(),
        'in_review',
        alongside,
      );
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'account_already_linked')) throw e;
      await repo.rejectReviewedLink(db, link.id, 'account_already_linked');
      return view(await load(link.user_id, link.id));
    }
    await announceLinked(link);
    return view(await load(link.user_id, link.id));
  }

  /** An analyst rejects a link held for review: it fails with `review_rejected` (conditional on the status). */
  async function rejectLinkReview(
    linkId: string,
    _operator: string,
    alongside?: (trx: Transaction<DB>) => Promise<void>,
  ): Promise<LinkView> {
    const link = await loadForReview(linkId);
    await inTransaction(db, async (trx) => {
      if (!(await repo.rejectReviewedLink(trx, link.id)))
        throw new AppError('invalid_state', 'the link is no longer in review');
      await alongside?.(trx);
    });
    return view(await load(link.user_id, link.id));
  }

  async function failAndLoad(
    link: LinkRow,
    code: LinkFailureCode,
    details: Record<string, unknown> = {},
    score: number | null = null,
  ): Promise<LinkRow & { details?: Record<string, unknown> }> {
    await fail(link, code, true, score);
    return { ...(await load(link.user_id, link.id)), details };
  }

  /**
   * Fails a pending link; true when this call moved it (racing callers: exactly one). Only the call that moved it
   * tells the holder, so a burst of refused attempts sends one notice, not one per request.
   */
  async function fail(
    link: LinkRow,
    code: LinkFailureCode,
    notify = true,
    score: number | null = null,
  ): Promise<boolean> {
    const moved = await repo.failPendingLink(db, link.id, code, score);
    if (moved && notify && deps.policy().notifyHolder)
      await deps.bank.notifyHolder(
        ref(link),
        `${deps.operatorName} との口座連携が試みられましたが、完了しませんでした (連携ID ${link.id})。お心当たりのない場合は銀行へご連絡ください。`,
      );
    return moved;
  }

  async function load(userId: string, id: string): Promise<LinkRow> {
    const row = await repo.findLink(db, userId, id);
    if (!row) throw new AppError('unknown_bank_link', `no bank link ${id}`, { bankLinkId: id });
    return row;
  }

  /** GET of one link: a pending `app` link is checked against the bank on each poll. */
  async function getLink(userId: string, id: string): Promise<LinkView> {
    const link = await load(userId, id);
    if (link.status === 'pending_authorization' && link.auth_step === 'app')
      return view(await pollApproval(link, false));
    return view(link);
  }

  return { startLink, authorize, getLink, resolveAccount, approveLinkReview, rejectLinkReview };
}
export type Linking = ReturnType<typeof createLinking>;

export function view(
  l: LinkRow & { details?: Record<string, unknown> },
): LinkView & { details?: Record<string, unknown> } {
  const pending = l.status === 'pending_authorization';
  return {
    id: l.id,
    status: l.status,
    bankCode: l.bank_code,
    branchCode: l.branch_code,
    accountType: l.account_type,
    accountNumberLast4: l.account_number.slice(-4),
    purpose: l.purpose,
    ...(l.failure_code ? { failureCode: l.failure_code } : {}),
    ...(l.name_match_score !== null && l.failure_code !== 'name_mismatch'
      ? { nameMatch: { score: l.name_match_score } }
      : {}),
    ...(pending && l.auth_method && l.expires_at
      ? {
          authorization: {
            method: l.auth_method as AuthMethod,
            step: (l.auth_step ?? 'pin') as Authorization['step'],
            attemptsLeft: l.attempts_left,
            expiresAt: new Date(l.expires_at).toISOString(),
          },
        }
      : {}),
    ...(l.details && Object.keys(l.details).length > 0 ? { details: l.details } : {}),
    createdAt: new Date(l.created_at).toISOString(),
    ...(l.activated_at ? { activatedAt: new Date(l.activated_at).toISOString() } : {}),
    risk: verdictFromColumn(l.risk),
  };
}
