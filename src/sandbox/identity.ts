import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import type { IdentityProvider, IdentitySubmission, RejectionReason } from '../identity/index.ts';
import { isUniqueViolation } from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';

/**
 * A person in the registry: what an ID document says about them (a submission less the selfie). `forged`
 * registers a counterfeit document, as an attacker with a victim's data and their own face would present.
 */
export type RegistryEntry = Omit<IdentitySubmission, 'selfie'> & { forged?: boolean | undefined };

/** Kana compare the same whether typed in hiragana or katakana, with or without spaces. */
const kanaKey = (s: string) =>
  s
    .normalize('NFKC')
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/[\s・]/g, '');
const plain = (s: string) => s.normalize('NFKC').replace(/\s+/g, '');

/**
 * The sandbox eKYC provider: a registry of people with their ID documents and faces. A verification passes
 * only when the document exists, its holder's data match what was submitted and the selfie matches the
 * document's face.
 */
export function createSandboxIdentity(deps: { db: Kysely<DB>; clock: Clock; newId: NewId }) {
  async function register(
    e: RegistryEntry,
  ): Promise<{ id: string; document: RegistryEntry['document']; selfie: string }> {
    const id = deps.newId('sid');
    const selfie = `face_${randomBytes(12).toString('base64url')}`;
    try {
      await deps.db
        .insertInto('sandbox_identities')
        .values({
          id,
          family_name: e.familyName,
          given_name: e.givenName,
          family_name_kana: e.familyNameKana,
          given_name_kana: e.givenNameKana,
          birth_date: e.birthDate,
          address: e.address,
          document_type: e.document.type,
          document_number: e.document.number,
          face_token: selfie,
          forged: e.forged ?? false,
          created_at: deps.clock.now(),
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppError('invalid_state', 'a person with this document is already registered');
      throw err;
    }
    return { id, document: e.document, selfie };
  }

  const provider: IdentityProvider = {
    async verify(s: IdentitySubmission) {
      const doc = await deps.db
        .selectFrom('sandbox_identities')
        .selectAll()
        .where('document_type', '=', s.document.type)
        .where('document_number', '=', s.document.number)
        .executeTakeFirst();
      if (!doc) return { status: 'rejected', reasons: ['document_not_found'] };
      const reasons: RejectionReason[] = doc.forged ? ['document_forged'] : [];
      if (plain(doc.family_name) !== plain(s.familyName) || plain(doc.given_name) !== plain(s.givenName))
        reasons.push('name_mismatch');
      if (
        kanaKey(doc.family_name_kana) !== kanaKey(s.familyNameKana) ||
        kanaKey(doc.given_name_kana) !== kanaKey(s.givenNameKana)
      )
        reasons.push('kana_mismatch');
      if (doc.birth_date !== s.birthDate) reasons.push('birth_date_mismatch');
      if (plain(doc.address) !== plain(s.address)) reasons.push('address_mismatch');
      if (doc.face_token !== s.selfie) reasons.push('selfie_mismatch');
      return reasons.length === 0 ? { status: 'verified', reasons } : { status: 'rejected', reasons };
    },
  };

  return { register, provider };
}
