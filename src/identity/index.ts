/**
 * identity: users, phone confirmation, sessions, MFA (TOTP, passkeys) and step-up, eKYC. Invariants: one account per email and per phone number;
 * passwords stored as argon2id, session tokens and one-time codes only as hashes; a user always has a wallet.
 * Never log a password, token or code.
 */
export { createIdentity, sha256, type Identity, type IdentityDeps, type User, type SessionUser } from './service.ts';
export { createMfa, ELEVATION_MS, type Mfa, type SecondFactor } from './mfa.ts';
export { createSecretBox, type SecretBox } from './secret-box.ts';
/** RFC 6238 TOTP through otplib (ops enrols operators with the same seeds, URIs and single-use check as users). */
export { checkTotp, newTotpSecret, totpUri } from './totp.ts';
export {
  createEkyc,
  MAX_WALLETS_PER_DOCUMENT,
  type Ekyc,
  type AuditPort,
  type IdentityProvider,
  type IdentitySubmission,
  type DocumentType,
  type RejectionReason,
  type VerifiedIdentity,
} from './ekyc.ts';
export { createLoginThrottle, type Attempt, type LoginThrottle } from './login-throttle.ts';
export {
  assertSteppedUp,
  isSteppedUp,
  assertMayAddFactor,
  assertMayChangeSecurity,
  type SessionHolder,
} from './step-up.ts';
export { createPasskeys, type Passkeys, type RelyingParty } from './passkeys.ts';
export {
  createAccountSecurity,
  SECURITY_HOLD_MS,
  type AccountSecurity,
  type SecurityChange,
} from './account-security.ts';
export { assertMay, hasFreshFactor, type GuardedUser, type Requirements } from './guard.ts';
export type {
  IdentityEventType,
  IdentityRisk,
  IdentityRiskEvent,
  IdentityRiskSignals,
  RequestSource,
  ScoredEvent,
} from './risk.ts';
export { IDENTITY_ERROR_CODES, type IdentityErrorCode } from './errors.ts';
