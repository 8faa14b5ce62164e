/**
 * identity: users, phone confirmation, sessions. Invariants: one account per email and per phone number;
 * passwords stored as argon2id, session tokens and one-time codes only as hashes; a user always has a wallet.
 * Never log a password, token or code.
 */
export { createIdentity, sha256, type Identity, type IdentityDeps, type User, type SessionUser } from './service.ts';
