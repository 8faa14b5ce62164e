import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { BankSettings, BankSwitches, BankView, Page, SwitchChange } from '../banks/index.ts';
import { type DB, inTransaction, isUniqueViolation } from '../db/index.ts';
import { createLoginThrottle, sha256 } from '../identity/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import { type Audit, createAudit, listAudit, verifyAudit } from './audit.ts';
import * as repo from './repository.ts';
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

/** Operators, their sessions, the per-bank switches they move. Every operator action is audited in the transaction that does it. */
export function createOps(deps: { db: Kysely<DB>; clock: Clock; newId: NewId; banks: BankSettings }) {
  const { db, clock } = deps;
  const audit: Audit = createAudit(deps);
  const throttle = createLoginThrottle({ db, clock, scope: 'operator-login' });

  /** `by` is the operator who creates, or a system actor ('cli', 'seed'). The password is returned once and never stored. */
  async function createOperator(email: string, role: Role, by = 'system'): Promise<Operator & { password: string }> {
    const normalized = normalizeEmail(email);
    if (!/^[^\s@]+@[^\s@]+$/.test(normalized) || normalized.length > 254)
      throw new AppError('invalid_request', 'the operator needs a valid email address', { field: 'email' });
    if (!ROLES.includes(role))
      throw new AppError('invalid_request', `role must be one of ${ROLES.join(', ')}`, { field: 'role' });
    const password = randomBytes(18).toString('base64url');
    const id = deps.newId('op');
    const passwordHash = await hash(password);
    try {
      await inTransaction(db, async (trx) => {
        await repo.insertOperator(trx, { id, email: normalized, passwordHash, role, at: clock.now() });
        await audit.append(trx, {
          actor: by,
          action: 'operator.create',
          target: id,
          details: { email: normalized, role },
        });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new AppError('email_taken', 'an operator with this email exists');
      throw e;
    }
    return { id, email: normalized, role, password };
  }

  /**
   * Signs an operator in. Five consecutive failures lock the email (the users' throttle, its own scope); the
   * attempt is taken before the password is checked, so parallel guesses get at most five evaluations. Failures
   * are audited only for existing operators (an unknown email writes nothing, so strangers cannot grow the
   * log); the throttle bounds those rows to five per lock period and email.
   */
  async function login(
    email: string,
    password: string,
    context: LoginContext = {},
  ): Promise<{ token: string; operator: Operator }> {
    const normalized = normalizeEmail(email);
    const attempt = await throttle.beginAttempt(normalized);
    const row = await repo.findOperatorByEmail(db, normalized);
    const passwordOk = await verify(row?.password_hash ?? DUMMY_HASH, password);
    if (!row || !passwordOk || row.disabled_at !== null) {
      const locked = await attempt.failed();
      if (row)
        await inTransaction(db, (trx) =>
          audit.append(trx, {
            actor: 'anonymous',
            action: 'operator.login_failed',
            target: row.id,
            details: { ...context, ...(locked ? { locked: true } : {}) },
          }),
        );
      throw new AppError('invalid_credentials', 'email or password is not correct');
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
      await audit.append(trx, { actor: row.id, action: 'operator.login', target: row.id, details: { ...context } });
    });
    return { token, operator: { id: row.id, email: row.email, role: row.role } };
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
   * one transaction: no switch moves without its reason on record.
   */
  async function setBankSwitches(
    operatorId: string,
    code: string,
    changes: BankSwitches,
    reason: string,
  ): Promise<BankView> {
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

  async function switchHistory(
    code: string,
    page: { limit: number; startingAfter?: string } = { limit: 100 },
  ): Promise<Page<SwitchChange>> {
    if (!(await deps.banks.settingsOf(code)))
      throw new AppError('unknown_bank', `bank ${code} is not configured in Saifu`, { bankCode: code });
    return deps.banks.switchHistory(code, page.limit, page.startingAfter);
  }

  return {
    audit,
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
