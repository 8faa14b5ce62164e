import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError, type Clock } from '../platform/index.ts';
import type { BankAccountRef } from './gateway.ts';
import type { PinGuard, Source } from './pin-guard.ts';
import type { LinkingPolicy } from './policy.ts';
import * as repo from './repository.ts';

/**
 * The risk engine as linking sees it: a small port bound by the composition root to src/risk (banks knows nothing
 * of rules or counters). Absent = nothing is scored and today's thresholds decide alone (the 2020 service).
 */
export type LinkEventType = 'link' | 'link_authorization' | 'pin_failure';

export interface LinkRiskEvent {
  type: LinkEventType;
  userId: string;
  deviceId: string;
  ip: string;
  phone: string;
  linkId: string;
  /** "bank-branch-account" */
  bankAccount: string;
  /** The verified identity's family name (kana), on link events: identities per device are told apart by it. */
  familyNameKana?: string;
}

export interface LinkRiskSignals {
  accountAgeHours?: number;
  verification?: string;
  walletsPerBankAccount?: number;
  nameMatchScore?: number;
  pinFailuresPerPinValue1h?: number;
  pinFailuresPerAccount1h?: number;
  pinFailureAccountsPerDevice1h?: number;
}

/** What a link shows of its attempt's decision (`risk` on the API's link object). */
export interface LinkVerdict {
  decision: 'allow' | 'challenge' | 'review' | 'deny';
  score: number;
  reasons: Array<{ rule: string; message: string }>;
  ruleSetVersion: number;
}

export interface ScoredLinkEvent extends LinkVerdict {
  enforced: boolean;
}

export interface LinkRisk {
  assess(event: LinkRiskEvent, signals: LinkRiskSignals): Promise<ScoredLinkEvent>;
  record(trx: Transaction<DB>, a: ScoredLinkEvent, objectId?: string): Promise<void>;
}

/** Links from before the engine, and links made without it. */
export const LINK_ALLOWED: LinkVerdict = { decision: 'allow', score: 0, reasons: [], ruleSetVersion: 0 };

const STRENGTH = { allow: 0, challenge: 1, review: 2, deny: 3 } as const;
export const stronger = (a: LinkVerdict, b: LinkVerdict): LinkVerdict =>
  STRENGTH[b.decision] > STRENGTH[a.decision] ? b : a;

export const verdictOf = (a: LinkVerdict): LinkVerdict => ({
  decision: a.decision,
  score: a.score,
  reasons: a.reasons.map((r) => ({ rule: r.rule, message: r.message })),
  ruleSetVersion: a.ruleSetVersion,
});

export function verdictFromColumn(s: string | null | undefined): LinkVerdict {
  if (!s) return LINK_ALLOWED;
  try {
    return verdictOf({ ...LINK_ALLOWED, ...(JSON.parse(s) as Partial<LinkVerdict>) });
  } catch {
    return LINK_ALLOWED;
  }
}

/** The 422 of a denied link attempt (nothing linked). */
export const riskDenied = (a: LinkVerdict) =>
  new AppError('risk_denied', 'this bank link was refused by our risk checks', {
    score: a.score,
    reasons: verdictOf(a).reasons,
    ruleSetVersion: a.ruleSetVersion,
  });

const HOUR_MS = 3_600_000;
const accountKey = (a: Omit<BankAccountRef, 'accountType'>) => `${a.bankCode}-${a.branchCode}-${a.accountNumber}`;

/** Who is linking: the user as the session sees it. */
export interface LinkActor {
  id: string;
  phone?: string;
  verification?: string;
  createdAt?: string;
}

/**
 * Scores link events: computes the link signals from the rows linking owns (wallets per bank account, PIN/OTP
 * failures per account and per device in the hour) and the PIN guard's count per PIN value (read, never
 * consumed), then asks the engine.
 */
export function createLinkScoring(deps: {
  db: Kysely<DB>;
  clock: Clock;
  risk?: LinkRisk | undefined;
  guard: PinGuard;
  policy: () => LinkingPolicy;
  /** The wallet's verified identity (eKYC), if any: its family name goes with the link event. */
  verifiedIdentity?: (userId: string) => Promise<{ familyNameKana: string } | undefined>;
}) {
  const { db, clock } = deps;
  const enabled = deps.risk !== undefined;

  async function score(
    type: LinkEventType,
    who: LinkActor,
    account: Omit<BankAccountRef, 'accountType'>,
    linkId: string,
    source: Source,
    extra: { pin?: string; pinFailuresIncludingThis?: boolean; nameMatchScore?: number } = {},
  ): Promise<ScoredLinkEvent | undefined> {
    if (!deps.risk) return undefined;
    const now = clock.now();
    const policy = deps.policy();
    const failures = await repo.authFailuresSince(db, {
      account,
      deviceId: source.deviceId,
      since: new Date(now.getTime() - HOUR_MS),
      attempts: policy.attempts,
    });
    const signals: LinkRiskSignals = {
      ...(who.verification ? { verification: who.verification } : {}),
      ...(who.createdAt
        ? { accountAgeHours: Math.max(0, (now.getTime() - new Date(who.createdAt).getTime()) / HOUR_MS) }
        : {}),
      walletsPerBankAccount: await repo.walletsOfAccount(db, account, who.id),
      pinFailuresPerAccount1h: failures.perAccount,
      pinFailureAccountsPerDevice1h: failures.accountsPerDevice,
      ...(extra.nameMatchScore !== undefined ? { nameMatchScore: extra.nameMatchScore } : {}),
    };
    if (extra.pin !== undefined) {
      // The guard took this attempt already (counted before checked): before the bank answers it is not a failure.
      const used = await deps.guard.pinValueFailures(extra.pin);
      signals.pinFailuresPerPinValue1h = extra.pinFailuresIncludingThis ? used : Math.max(0, used - 1);
    }
    const familyNameKana = type === 'link' ? ((await deps.verifiedIdentity?.(who.id))?.familyNameKana ?? '') : '';
    return deps.risk.assess(
      {
        type,
        userId: who.id,
        deviceId: source.deviceId ?? '',
        ip: source.ip ?? '',
        phone: who.phone ?? '',
        linkId,
        bankAccount: accountKey(account),
        ...(familyNameKana ? { familyNameKana } : {}),
      },
      signals,
    );
  }

  /** Stores a scored event in its own short transaction (link steps are several statements, none holding a lock). */
  async function store(a: ScoredLinkEvent | undefined, objectId: string | undefined): Promise<void> {
    const risk = deps.risk;
    if (risk && a) await db.transaction().execute((trx) => risk.record(trx, a, objectId));
  }

  /** Stores it in the caller's transaction. */
  async function record(trx: Transaction<DB>, a: ScoredLinkEvent | undefined, objectId: string): Promise<void> {
    if (deps.risk && a) await deps.risk.record(trx, a, objectId);
  }

  /** A denied attempt is stored without the restrictions its rules carry (nothing else changed). */
  const storeDenied = (a: ScoredLinkEvent, objectId: string | undefined) =>
    store({ ...a, restrictions: [] } as ScoredLinkEvent, objectId);

  return { enabled, score, store, storeDenied, record };
}
export type LinkScoring = ReturnType<typeof createLinkScoring>;
