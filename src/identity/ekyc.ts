import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';

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

export type RejectionReason = 'document_not_found' | 'document_forged' | 'name_mismatch' | 'kana_mismatch' | 'birth_date_mismatch' | 'address_mismatch' | 'selfie_mismatch';

/** Submissions per user in a rolling day: enough to fix typos, too few to probe the registry for a victim's data. */
const MAX_SUBMISSIONS_PER_DAY = 5;
const DAY_MS = 24 * 60 * 60 * 1000;

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

/** Identity verification: one verified identity per user; its kana name and birth date are what bank links must match. */
export function createEkyc(deps: { db: Kysely<DB>; clock: Clock; newId: NewId; provider: IdentityProvider; onUserChanged?: (userId: string) => void }) {
  async function submit(user: { id: string; phoneConfirmed: boolean; verification: string }, s: IdentitySubmission) {
    if (!user.phoneConfirmed) throw new AppError('phone_not_confirmed', 'confirm your phone number before verifying your identity');
    if (user.verification === 'verified') throw new AppError('already_verified', 'your identity is already verified');
    await assertUnderDailyLimit(user.id);
    // The provider is called outside the transaction (a network call in production); the user row is then
    // locked and re-read so two racing submissions cannot both record a verified identity.
    const result = await deps.provider.verify(s);
    const id = deps.newId('idv');
    await deps.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('users').select('verification').where('id', '=', user.id).forUpdate().executeTakeFirstOrThrow();
      if (current.verification === 'verified') throw new AppError('already_verified', 'your identity is already verified');
      await trx
        .insertInto('identity_verifications')
        .values({ id, user_id: user.id, status: result.status, reasons: JSON.stringify(result.reasons), family_name: s.familyName, given_name: s.givenName, family_name_kana: s.familyNameKana, given_name_kana: s.givenNameKana, birth_date: s.birthDate, address: s.address, document_type: s.document.type, created_at: deps.clock.now() })
        .execute();
      await trx.updateTable('users').set({ verification: result.status }).where('id', '=', user.id).execute();
    });
    deps.onUserChanged?.(user.id);
    return { id, status: result.status, reasons: result.reasons };
  }

  async function assertUnderDailyLimit(userId: string): Promise<void> {
    const since = new Date(deps.clock.now().getTime() - DAY_MS);
    const recent = await deps.db.selectFrom('identity_verifications').select('created_at').where('user_id', '=', userId).where('created_at', '>', since).orderBy('created_at').execute();
    if (recent.length < MAX_SUBMISSIONS_PER_DAY) return;
    const freesAt = new Date(recent[0]!.created_at).getTime() + DAY_MS;
    throw new AppError('too_many_attempts', `at most ${MAX_SUBMISSIONS_PER_DAY} identity verifications a day: try again later`, { retryAfterSeconds: Math.max(1, Math.ceil((freesAt - deps.clock.now().getTime()) / 1000)) });
  }

  async function verifiedIdentityOf(userId: string): Promise<VerifiedIdentity | undefined> {
    const r = await deps.db
      .selectFrom('identity_verifications')
      .select(['family_name', 'given_name', 'family_name_kana', 'given_name_kana', 'birth_date'])
      .where('user_id', '=', userId)
      .where('status', '=', 'verified')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return r && { familyName: r.family_name, givenName: r.given_name, familyNameKana: r.family_name_kana, givenNameKana: r.given_name_kana, birthDate: r.birth_date };
  }

  return { submit, verifiedIdentityOf };
}
export type Ekyc = ReturnType<typeof createEkyc>;
