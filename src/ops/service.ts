import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { BankSettings, BankSwitches, BankView, Page, SwitchChange } from '../banks/index.ts';
import { type DB, inTransaction, isUniqueViolation } from '../db/index.ts';
import { type SecretBox, checkTotp, createLoginThrottle, newTotpSecret, sha256, totpUri } from '../identity/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import { type Audit, createAudit, listAudit, verifyAudit } from './audit.ts';
import { type Approvals, createApprovals } from './approvals.ts';
import * as repo from './repository.ts';
import { assertBankAccess, bankScopeOf } from './scope.ts';
import { MAX_REASON_LENGTH, type Operator, ROLES, type Role } from './types.ts';

const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** Verified against when the email is unknown, so a wrong email costs the same time as a wrong password. */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$FVwp+k9VH0MIZcEq60lDnw$Fys5jWe2vdzq2EsOiN0FMddjLx4+2+qmq0S7iajS4wY';

/** Where a sign-in came from; kept in its audit record. */
export interface LoginContext {
  ip?: string;
  deviceId?: string;
}

const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** A new operator's credentials, shown once: the password and the TOTP seed (as an otpauth:// URI for the app). */
export interface CreatedOperator extends Operator {
  password: string;
  totp: { secret: string; otpauthUrl: string };
}

/** Operators, their sessions, the per-bank switches they move. Every operator action is audited in the transaction that does it. */
export function createOps(deps: { db: Kysely<DB>; clock: Clock; newId: NewId; banks: BankSettings; box: SecretBox }) {
  const { db, clock } = deps;
  const audit: Audit = createAudit(deps);
  const approvals: Approvals = createApprovals({ ...deps, audit });
  const throttle = createLoginThrottle({ db, clock, scope: 'operator-login' });

  /**
   * `by` is the operator who creates, or a system actor ('cli', 'seed'). Every operator is enrolled in TOTP at
   * creation: the password and the TOTP seed are returned once (the seed is kept sealed with the server key, the
   * password only as argon2id). The `bank` role needs `bankCode` (4 digits); other roles take none.
   */
  async function createOperator(
    email: string,
    role: Role,
    by = 'system',
    options: { bankCode?: string } = {},
  ): Promise<CreatedOperator> {
    const normalized = normalizeEmail(email);
    if (!/^[^\s@]+@[^\s@]+$/.test(normalized) || normalized.length > 254)
      throw new AppError('invalid_request', 'the operator needs a valid email address', { field: 'email' });
    if (!ROLES.includes(role))
      throw new AppError('invalid_request', `role must be one of ${ROLES.join(', ')}`, { field: 'role' });
    const bankCode = options.bankCode ?? null;
    if ((role === 'bank') !== (bankCode !== null) || (bankCode !== null && !/^\d{4}$/.test(bankCode)))
      throw new AppError('invalid_request', 'the bank role, and only it, takes a 4-digit bank code', {
        field: 'bankCode',
      });
    if (bankCode !== null && !(await deps.banks.settingsOf(bankCode)))
      throw new AppError('unknown_bank', `bank ${bankCode} is not configured in Saifu`, { bankCode });
    const password = randomBytes(18).toString('base64url');
    const secret = newTotpSecret();
    const id = deps.newId('op');
    const passwordHash = await hash(password);
    try {
      await inTransaction(db, async (trx) => {
        await repo.insertOperator(trx, {
          id,
          email: normalized,
          passwordHash,
          role,
          bankCode,
          sealedTotpSecret: deps.box.seal(secret),
          at: clock.now(),
        });
        await audit.append(trx, {
          actor: by,
          action: 'operator.create',
          target: id,
          details: { email: normalized, role, ...(bankCode ? { bankCode } : {}), totp: true },
        });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new AppError('email_taken', 'an operator with this email exists');
      throw e;
    }
    return {
      ...repo.toOperator({ id, email: normalized, role, bank_code: bankCode }),
      password,
      totp: { secret, otpauthUrl: totpUri(secret, normalized) },
    };
  }

  /** The operator's TOTP code, good once; false when wrong, replayed or older than the last one accepted. */
  async function useTotp(row: { id: string; totp_secret: string; totp_last_step: number | null }, otp: string) {
    const previous = row.totp_last_step === null ? null : Number(row.totp_last_step);
    const step = await checkTotp(deps.box.open(row.totp_secret), otp, clock.now(), previous);
    return step !== null && (await repo.takeTotpStep(db, row.id, previous, step));
  }

  /**
   * Signs an operator in with password and TOTP code (`otp`). Five consecutive failures lock the email (the
   * users' throttle, its own scope); the attempt is taken before the password and the code are checked, so
   * parallel guesses get at most five evaluations, and a wrong code is a failure like a wrong password. A right
   * password without a code is 401 mfa_required and not counted. Failures are audited only for existing
   * operators (an unknown email writes nothing, so strangers cannot grow the log); the throttle bounds those rows
   * to five per lock period and email. Operators from before TOTP (no seed) sign in with the password alone.
   */
  async function login(
    email: string,
    password: string,
    context: LoginContext = {},
    otp?: string,
  ): Promise<{ token: string; operator: Operator }> {
    const normalized = normalizeEmail(email);
    const attempt = await throttle.beginAttempt(normalized);
    const row = await repo.findOperatorByEmail(db, normalized);
    const passwordOk = await verify(row?.password_hash ?? DUMMY_HASH, password);
    const refuse = async (factor: 'password' | 'otp'): Promise<never> => {
      const locked = await attempt.failed();
      if (row)
        await inTransaction(db, (trx) =>
          audit.append(trx, {
            actor: 'anonymous',
            action: 'operator.login_failed',
            target: row.id,
            details: { ...context, factor, ...(locked ? { locked: true } : {}) },
          }),
        );
      throw new AppError('invalid_credentials', 'email, password or code is not correct');
    };
    if (!row || !passwordOk || row.disabled_at !== null) return refuse('password');
    if (row.totp_secret !== null) {
      if (!otp) {
        await attempt.uncounted();
        throw new AppError('mfa_required', 'send the code from your authenticator app (otp) with the password');
      }
      if (!(await useTotp({ ...row, totp_secret: row.totp_secret }, otp))) return refuse('otp');
    }
    await attempt.succeeded();
    const token = `ops_${randomBytes(32).toString('base64url')}`;
    await inTransaction(db, async (trx) => {
      await repo.insertSession(trx, {
        id: deps.newId('ops'),
        operatorId: row.id,
        tokenHash: sha256(token),
        at: clock.now(),
        expiresAt: new Date(clock.now().getTime() + SESSION_TTL_MS),
      });
      await audit.append(trx, {
        actor: row.id,
        action: 'operator.login',
        target: row.id,
        details: { ...context, totp: row.totp_secret !== null },
      });
    });
    return { token, operator: repo.toOperator(row) };
  }

  async function logout(operatorId: string, token: string): Promise<void> {
    await inTransaction(db, async (trx) => {
      await repo.revokeSession(trx, sha256(token), clock.now());
      await audit.append(trx, { actor: operatorId, action: 'operator.logout', target: operatorId });
    });
  }

  /** Operator sessions are read from the database on every request (no cache): a revocation is final at once. */
  async function authenticate(token: string): Promise<Operator | undefined> {
    return repo.findSessionOperator(db, sha256(token), clock.now());
  }

  async function listBanks(): Promise<BankView[]> {
    return deps.banks.listSettings();
  }

  /**
   * Moves a bank's switches through the banks area (which never caches them, so the change applies to every
   * request that reads after it commits). The switch, its reason in the bank's history and the audit record are
   * one transaction: no switch moves without its reason on record. A `bank` operator moves only its own bank's
   * linking and charging, and only off (403 operator_forbidden otherwise): turning a bank back on is Saifu's call.
   */
  async function setBankSwitches(
    operator: Pick<Operator, 'id' | 'role' | 'bankCode'>,
    code: string,
    changes: BankSwitches,
    reason: string,
  ): Promise<BankView> {
    const operatorId = operator.id;
    assertBankAccess(operator, code);
    if (
      bankScopeOf(operator) !== undefined &&
      (changes.linking === true || changes.charging === true || changes.registrationChanges !== undefined)
    )
      throw new AppError('operator_forbidden', 'a bank operator may only switch its linking or charging off', {
        allowed: { linking: false, charging: false },
      });
    const why = reason.trim();
    if (!why) throw new AppError('reason_required', 'say why the switch changes (reason)');
    if (why.length > MAX_REASON_LENGTH)
      throw new AppError('invalid_request', `the reason is at most ${MAX_REASON_LENGTH} characters`, {
        field: 'reason',
      });
    const moved: BankSwitches = {
      ...(changes.linking !== undefined ? { linking: changes.linking } : {}),
      ...(changes.charging !== undefined ? { charging: changes.charging } : {}),
      ...(changes.registrationChanges !== undefined ? { registrationChanges: changes.registrationChanges } : {}),
    };
    if (Object.keys(moved).length === 0)
      throw new AppError('invalid_request', 'change at least one of linking, charging, registrationChanges');
    return inTransaction(db, async (trx) => {
      const bank = await deps.banks.changeSwitches(trx, {
        id: deps.newId('bsc'),
        bankCode: code,
        changes: moved,
        reason: why,
        actor: operatorId,
        at: clock.now(),
      });
      if (!bank) throw new AppError('unknown_bank', `bank ${code} is not configured in Saifu`, { bankCode: code });
      await audit.append(trx, {
        actor: operatorId,
        action: 'bank.switches',
        target: code,
        details: { changes: moved, reason: why },
      });
      return bank;
    });
  }

  /** `operator` (when given) must see the bank: a bank operator reads only its own bank's history. */
  async function switchHistory(
    code: string,
    page: { limit: number; startingAfter?: string } = { limit: 100 },
    operator?: Pick<Operator, 'role' | 'bankCode'>,
  ): Promise<Page<SwitchChange>> {
    if (operator) assertBankAccess(operator, code);
    if (!(await deps.banks.settingsOf(code)))
      throw new AppError('unknown_bank', `bank ${code} is not configured in Saifu`, { bankCode: code });
    return deps.banks.switchHistory(code, page.limit, page.startingAfter);
  }

  return {
    audit,
    approvals,
    createOperator,
    login,
    logout,
    authenticate,
    listBanks,
    setBankSwitches,
    switchHistory,
    listAudit: (page: { limit: number; startingAfter?: string }) => listAudit(db, page.limit, page.startingAfter),
    verifyAudit: () => verifyAudit(db),
  };
}
export type Ops = ReturnType<typeof createOps>;
