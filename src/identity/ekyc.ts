import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { counterKey, createAttemptCounter } from '../attempts/index.ts';
import { type DB, inTransaction } from '../db/index.ts';
import { isUniqueViolation } from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import { assertMay } from './guard.ts';
import {
  type IdentityRisk,
  type RequestSource,
  type ScoredEvent,
  hoursSince,
  identityEvent,
  recordScoredEvent,
  scoreIdentityEvent,
} from './risk.ts';

export type DocumentType = 'drivers_license' | 'my_number_card' | 'passport' | 'residence_card';

export interface IdentitySubmission {
  familyName: string;
  givenName: string;
  familyNameKana: string;
  givenNameKana: string;
  birthDate: string;
  address: string;
  document: { type: DocumentType; number: string };
  /** The face capture (in the sandbox: a token standing for the selfie). */
  selfie: string;
}

export type RejectionReason =
  | 'document_not_found'
  | 'document_forged'
  | 'name_mismatch'
  | 'kana_mismatch'
  | 'birth_date_mismatch'
  | 'address_mismatch'
  | 'selfie_mismatch'
  | 'document_already_used';

/** Submissions per user in a rolling day: enough to fix typos, too few to probe the registry for a victim's data. */
const MAX_SUBMISSIONS_PER_DAY = 5;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The most wallets an operator may let one document verify. */
export const MAX_WALLETS_PER_DOCUMENT = 10;
const ONE_WALLET_PER_DOCUMENT = 'identity_verifications_one_wallet_per_document';

/** The eKYC port: a provider checks a document and a face against each other and against the data given. */
export interface IdentityProvider {
  verify(s: IdentitySubmission): Promise<{ status: 'verified' | 'rejected'; reasons: RejectionReason[] }>;
}

export interface VerifiedIdentity {
  familyName: string;
  givenName: string;
  familyNameKana: string;
  givenNameKana: string;
  birthDate: string;
}

/** How an operator decision reaches the audit chain (ops owns it; wired by the composition root). */
export type AuditPort = (
  trx: Transaction<DB>,
  e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
) => Promise<unknown>;

/**
 * Identity verification: one verified identity per user, and one wallet per identity document unless an operator
 * allows more. The document is kept only as a keyed hash (HMAC with the server secret) of its type and normalised
 * number; each verified row holds one of the document's slots (1..allowed) under a unique index, so two wallets
 * racing with one document cannot both pass. The verified kana name and birth date are what bank links must match.
 */
export function createEkyc(deps: {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  provider: IdentityProvider;
  documentKey: string;
  audit?: AuditPort;
  onUserChanged?: (userId: string) => void;
  /** The risk engine: a submission is scored before the provider is asked; absent = no scoring. */
  risk?: IdentityRisk;
}) {
  const submissions = createAttemptCounter(deps);
  /** Same document, same hash: width, case, spaces and hyphens do not matter. */
  const documentHashOf = (d: { type: DocumentType; number: string }) =>
    createHmac('sha256', deps.documentKey)
      .update(`identity-document:v1:${d.type}:${d.number.normalize('NFKC').toUpperCase().replace(/[\s-]/g, '')}`)
      .digest('hex');

  async function submit(
    user: { id: string; phoneConfirmed: boolean; verification: string },
    s: IdentitySubmission,
    source?: RequestSource,
  ) {
    assertMay(user, { phoneConfirmed: true }, 'verify your identity');
    if (user.verification === 'verified') throw new AppError('already_verified', 'your identity is already verified');
    await assertUnderDailyLimit(user.id);
    const scored = await scoreSubmission(user.id, source);
    // The provider is called outside the transaction (a network call in production); the user row is then
    // locked and re-read so two racing submissions cannot both record a verified identity.
    const result = await deps.provider.verify(s);
    const documentHash = documentHashOf(s.document);
    const id = deps.newId('idv');
    // A racing wallet that took the same slot first makes the insert fail on the unique index: look again (the
    // winner is committed by then), and the document is either in another allowed slot or already used.
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await record(id, user.id, s, documentHash, result, scored);
        deps.onUserChanged?.(user.id);
        return { id, ...outcome };
      } catch (e) {
        if (attempt >= 3 || !isUniqueViolation(e, ONE_WALLET_PER_DOCUMENT)) throw e;
      }
    }
  }

  async function record(
    id: string,
    userId: string,
    s: IdentitySubmission,
    documentHash: string,
    result: Awaited<ReturnType<IdentityProvider['verify']>>,
    scored?: ScoredEvent,
  ) {
    return inTransaction(deps.db, async (trx) => {
      await recordScoredEvent(deps.risk, trx, scored, id);
      const current = await trx
        .selectFrom('users')
        .select('verification')
        .where('id', '=', userId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (current.verification === 'verified')
        throw new AppError('already_verified', 'your identity is already verified');
      let { status, reasons } = result;
      let slot: number | null = null;
      if (status === 'verified') {
        slot = await freeSlot(trx, documentHash);
        if (slot === null) [status, reasons] = ['rejected', ['document_already_used']];
      }
      await trx
        .insertInto('identity_verifications')
        .values({
          id,
          user_id: userId,
          status,
          reasons: JSON.stringify(reasons),
          family_name: s.familyName,
          given_name: s.givenName,
          family_name_kana: s.familyNameKana,
          given_name_kana: s.givenNameKana,
          birth_date: s.birthDate,
          address: s.address,
          document_type: s.document.type,
          document_hash: documentHash,
          document_slot: slot,
          created_at: deps.clock.now(),
        })
        .execute();
      await trx.updateTable('users').set({ verification: status }).where('id', '=', userId).execute();
      return { status, reasons };
    });
  }

  /** Scores the submission before the provider is asked (422 risk_denied on deny: nothing sent, nothing stored). */
  async function scoreSubmission(userId: string, source: RequestSource | undefined): Promise<ScoredEvent | undefined> {
    if (!deps.risk) return undefined;
    const u = await deps.db
      .selectFrom('users')
      .select(['id', 'email', 'phone', 'verification', 'created_at'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return scoreIdentityEvent(
      deps.risk,
      deps.db,
      identityEvent('ekyc', u, source),
      { accountAgeHours: hoursSince(u.created_at, deps.clock.now()), verification: u.verification },
      userId,
    );
  }

  /** The lowest slot this document may still take (1..its allowance), or null when every allowed wallet is taken. */
  async function freeSlot(trx: Transaction<DB>, documentHash: string): Promise<number | null> {
    const allowance = await trx
      .selectFrom('document_allowances')
      .select('max_wallets')
      .where('document_hash', '=', documentHash)
      .executeTakeFirst();
    const taken = new Set(
      (
        await trx
          .selectFrom('identity_verifications')
          .select('document_slot')
          .where('document_hash', '=', documentHash)
          .where('status', '=', 'verified')
          .execute()
      ).map((r) => r.document_slot),
    );
    for (let slot = 1; slot <= (allowance?.max_wallets ?? 1); slot++) if (!taken.has(slot)) return slot;
    return null;
  }

  /**
   * An operator lets one document verify up to `maxWallets` wallets (a family sharing a document is not a thing;
   * a person who lost access to their first wallet is). Named by a user who submitted the document, or by its
   * hash; recorded in the audit chain in the same transaction. Lowering the number does not unverify anyone.
   */
  async function allowDocumentReuse(
    operatorId: string,
    of: { userId: string } | { documentHash: string },
    maxWallets: number,
    reason: string,
  ): Promise<{ documentHash: string; maxWallets: number }> {
    if (!Number.isInteger(maxWallets) || maxWallets < 1 || maxWallets > MAX_WALLETS_PER_DOCUMENT)
      throw new AppError('invalid_request', `maxWallets must be 1 to ${MAX_WALLETS_PER_DOCUMENT}`, {
        field: 'maxWallets',
      });
    const why = reason.trim();
    if (why.length === 0 || why.length > 500) throw new AppError('reason_required', 'say why (1 to 500 characters)');
    const documentHash = 'documentHash' in of ? of.documentHash : await documentHashOfUser(of.userId);
    const row = { max_wallets: maxWallets, reason: why, operator_id: operatorId, updated_at: deps.clock.now() };
    await inTransaction(deps.db, async (trx) => {
      await trx
        .insertInto('document_allowances')
        .values({ document_hash: documentHash, ...row })
        .onConflict((oc) => oc.column('document_hash').doUpdateSet(row))
        .execute();
      await deps.audit?.(trx, {
        actor: operatorId,
        action: 'identity.document_reuse_allowed',
        target: documentHash,
        details: { maxWallets, reason: why, ...('userId' in of ? { userId: of.userId } : {}) },
      });
    });
    return { documentHash, maxWallets };
  }

  async function documentHashOfUser(userId: string): Promise<string> {
    const r = await deps.db
      .selectFrom('identity_verifications')
      .select('document_hash')
      .where('user_id', '=', userId)
      .where('document_hash', 'is not', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (!r?.document_hash) throw new AppError('not_found', 'this user has submitted no identity document');
    return r.document_hash;
  }

  /**
   * Takes one of the user's submissions for the day before the provider is called (the shared attempt counter),
   * so parallel submissions cannot all pass a count read before any of them was stored. Every submission
   * counts, verified or not: this probes the registry, so it is not given back.
   */
  async function assertUnderDailyLimit(userId: string): Promise<void> {
    await submissions.consume({
      key: counterKey('ekyc-submit', userId),
      max: MAX_SUBMISSIONS_PER_DAY,
      windowMs: DAY_MS,
      onSuccess: 'keep',
    });
  }

  async function verifiedIdentityOf(userId: string): Promise<VerifiedIdentity | undefined> {
    const r = await deps.db
      .selectFrom('identity_verifications')
      .select(['family_name', 'given_name', 'family_name_kana', 'given_name_kana', 'birth_date'])
      .where('user_id', '=', userId)
      .where('status', '=', 'verified')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return (
      r && {
        familyName: r.family_name,
        givenName: r.given_name,
        familyNameKana: r.family_name_kana,
        givenNameKana: r.given_name_kana,
        birthDate: r.birth_date,
      }
    );
  }

  return { submit, verifiedIdentityOf, allowDocumentReuse };
}
export type Ekyc = ReturnType<typeof createEkyc>;
