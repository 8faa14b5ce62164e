import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Operator } from './types.ts';

/** Queries of the ops area. Functions that must run inside the caller's transaction take `trx`. */

export async function findOperatorByEmail(db: Kysely<DB>, email: string) {
  return db.selectFrom('operators').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function insertOperator(
  trx: Transaction<DB>,
  o: {
    id: string;
    email: string;
    passwordHash: string;
    role: Operator['role'];
    bankCode: string | null;
    sealedTotpSecret: string;
    at: Date;
  },
): Promise<void> {
  await trx
    .insertInto('operators')
    .values({
      id: o.id,
      email: o.email,
      password_hash: o.passwordHash,
      role: o.role,
      bank_code: o.bankCode,
      totp_secret: o.sealedTotpSecret,
      created_at: o.at,
    })
    .execute();
}

/**
 * Stores the TOTP step just accepted, guarded by the step read before: of two sign-ins racing with one code,
 * only one moves it (the other gets false). A code is good once.
 */
export async function takeTotpStep(
  db: Kysely<DB>,
  operatorId: string,
  previous: number | null,
  step: number,
): Promise<boolean> {
  const q = db.updateTable('operators').set({ totp_last_step: step }).where('id', '=', operatorId);
  const done = await (previous === null
    ? q.where('totp_last_step', 'is', null)
    : q.where('totp_last_step', '=', previous)
  )
    .returning('id')
    .executeTakeFirst();
  return done !== undefined;
}

export async function insertSession(
  trx: Transaction<DB>,
  s: { id: string; operatorId: string; tokenHash: string; at: Date; expiresAt: Date },
): Promise<void> {
  await trx
    .insertInto('operator_sessions')
    .values({ id: s.id, operator_id: s.operatorId, token_hash: s.tokenHash, created_at: s.at, expires_at: s.expiresAt })
    .execute();
}

export async function revokeSession(trx: Transaction<DB>, tokenHash: string, at: Date): Promise<void> {
  await trx
    .updateTable('operator_sessions')
    .set({ revoked_at: at })
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The operator behind a live session: unknown, revoked, expired sessions and disabled operators give nothing. */
export async function findSessionOperator(db: Kysely<DB>, tokenHash: string, now: Date): Promise<Operator | undefined> {
  const r = await db
    .selectFrom('operator_sessions as s')
    .innerJoin('operators as o', 'o.id', 's.operator_id')
    .select(['o.id', 'o.email', 'o.role', 'o.bank_code', 'o.disabled_at', 's.expires_at', 's.revoked_at'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!r || r.revoked_at || r.disabled_at || new Date(r.expires_at) <= now) return undefined;
  return toOperator(r);
}

export const toOperator = (r: {
  id: string;
  email: string;
  role: Operator['role'];
  bank_code: string | null;
}): Operator => ({
  id: r.id,
  email: r.email,
  role: r.role,
  ...(r.bank_code ? { bankCode: r.bank_code } : {}),
});
