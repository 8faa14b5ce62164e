import { createHash, randomInt } from 'node:crypto';
import { verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { ApprovalState, BankAuthenticator, CodeCheck, PinCheck } from '../banks/index.ts';
import type { BankAccountRef } from '../banks/index.ts';
import type { DB } from '../db/index.ts';
import type { Notifier } from '../notify/index.ts';
import type { Clock, NewId } from '../platform/index.ts';

const MAX_PIN_FAILURES = 3;
const OTP_TTL_MS = 5 * 60 * 1000;
const OTP_ATTEMPTS = 3;
const APPROVAL_TTL_MS = 10 * 60 * 1000;
const hashCode = (reference: string, code: string) => createHash('sha256').update(`${reference}:${code}`).digest('hex');

/** The sandbox banks' side of linking: PIN checks with a 3-try lock, SMS one-time codes, app approvals. */
export function createSandboxBankAuth(deps: {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  notifier: Notifier;
}): BankAuthenticator & { approve(id: string): Promise<'approved' | 'not_found' | 'expired' | 'already'> } {
  const { db, clock } = deps;
  const updateAccount = (a: BankAccountRef) =>
    db
      .updateTable('sandbox_bank_accounts')
      .where('bank_code', '=', a.bankCode)
      .where('branch_code', '=', a.branchCode)
      .where('account_number', '=', a.accountNumber);
  const account = (a: BankAccountRef) =>
    db
      .selectFrom('sandbox_bank_accounts')
      .selectAll()
      .where('bank_code', '=', a.bankCode)
      .where('branch_code', '=', a.branchCode)
      .where('account_number', '=', a.accountNumber)
      .executeTakeFirst();

  /**
   * The bank's 3-try PIN lock. The try is counted by a conditional UPDATE before the PIN is compared, so of any
   * number of parallel tries at most 3 are ever compared; the third wrong one locks the account.
   */
  async function checkPin(a: BankAccountRef, pin: string, birthDate?: string): Promise<PinCheck> {
    const counted = await updateAccount(a)
      .set((eb) => ({ pin_failures: eb('pin_failures', '+', 1) }))
      .where('locked_at', 'is', null)
      .where('pin_failures', '<', MAX_PIN_FAILURES)
      .returning(['pin_hash', 'birth_date', 'pin_failures'])
      .executeTakeFirst();
    if (!counted) {
      const acct = await account(a);
      if (!acct) return { ok: false, reason: 'rejected', attemptsLeft: MAX_PIN_FAILURES - 1 };
      // Locked, or every try is already being checked: either way this one is not compared.
      return { ok: false, reason: 'locked' };
    }
    const ok = (await verify(counted.pin_hash, pin)) && (birthDate === undefined || birthDate === counted.birth_date);
    if (ok) {
      await updateAccount(a).set({ pin_failures: 0 }).where('locked_at', 'is', null).execute();
      return { ok: true };
    }
    if (counted.pin_failures >= MAX_PIN_FAILURES) {
      const locked = await updateAccount(a)
        .set({ locked_at: clock.now() })
        .where('locked_at', 'is', null)
        .returning('bank_code')
        .executeTakeFirst();
      if (locked)
        await notifyHolder(
          a,
          'キャッシュカードの暗証番号が3回誤って入力されたため、口座のお取引を停止しました。お心当たりのない場合は銀行へご連絡ください。',
        );
      return { ok: false, reason: 'locked' };
    }
    return { ok: false, reason: 'rejected', attemptsLeft: MAX_PIN_FAILURES - counted.pin_failures };
  }

  async function sendOtp(a: BankAccountRef, reference: string, operatorName: string): Promise<void> {
    const acct = await account(a);
    if (!acct) return;
    const code = String(randomInt(1_000_000)).padStart(6, '0');
    const row = {
      bank_code: a.bankCode,
      phone: acct.phone,
      code_hash: hashCode(reference, code),
      attempts: 0,
      expires_at: new Date(clock.now().getTime() + OTP_TTL_MS),
      used_at: null,
    };
    await db
      .insertInto('sandbox_bank_otps')
      .values({ reference, ...row })
      .onConflict((oc) => oc.column('reference').doUpdateSet(row))
      .execute();
    await deps.notifier.send({
      to: acct.phone,
      channel: 'sms',
      code,
      body: `[銀行${a.bankCode}] ${operatorName}との口座連携の確認コード: ${code} (5分間有効)。お心当たりのない場合は入力せず銀行へご連絡ください。`,
    });
  }

  /** At most 3 comparisons per code: each guess is counted by a conditional UPDATE before the comparison. */
  async function checkOtp(reference: string, code: string): Promise<CodeCheck> {
    const counted = await db
      .updateTable('sandbox_bank_otps')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('reference', '=', reference)
      .where('used_at', 'is', null)
      .where('expires_at', '>', clock.now())
      .where('attempts', '<', OTP_ATTEMPTS)
      .returning(['code_hash', 'attempts'])
      .executeTakeFirst();
    if (!counted) {
      const row = await db
        .selectFrom('sandbox_bank_otps')
        .select(['used_at', 'expires_at'])
        .where('reference', '=', reference)
        .executeTakeFirst();
      if (!row || row.used_at || new Date(row.expires_at) <= clock.now()) return 'expired';
      return 'exhausted';
    }
    if (counted.code_hash !== hashCode(reference, code))
      return counted.attempts >= OTP_ATTEMPTS ? 'exhausted' : 'wrong';
    // Single use: the conditional update lets exactly one of two racing submissions through.
    const used = await db
      .updateTable('sandbox_bank_otps')
      .set({ used_at: clock.now() })
      .where('reference', '=', reference)
      .where('used_at', 'is', null)
      .returning('reference')
      .executeTakeFirst();
    return used ? 'ok' : 'expired';
  }

  async function requestApproval(a: BankAccountRef, reference: string, operatorName: string): Promise<void> {
    const acct = await account(a);
    if (!acct) return;
    const existing = await db
      .selectFrom('sandbox_approvals')
      .select('id')
      .where('reference', '=', reference)
      .executeTakeFirst();
    if (existing) return;
    const id = deps.newId('apr');
    await db
      .insertInto('sandbox_approvals')
      .values({
        id,
        reference,
        bank_code: a.bankCode,
        branch_code: a.branchCode,
        account_number: a.accountNumber,
        status: 'pending',
        expires_at: new Date(clock.now().getTime() + APPROVAL_TTL_MS),
        created_at: clock.now(),
      })
      .execute();
    await deps.notifier.send({
      to: acct.phone,
      channel: 'bank_notice',
      body: `[銀行${a.bankCode}アプリ] ${operatorName}との口座連携の承認依頼があります (承認ID ${id})。お心当たりのない場合は承認しないでください。`,
    });
  }

  async function approvalState(reference: string): Promise<ApprovalState> {
    const row = await db
      .selectFrom('sandbox_approvals')
      .select(['status', 'expires_at'])
      .where('reference', '=', reference)
      .executeTakeFirst();
    if (!row) return 'pending';
    if (row.status === 'pending' && new Date(row.expires_at) <= clock.now()) return 'expired';
    return row.status;
  }

  async function approve(id: string): Promise<'approved' | 'not_found' | 'expired' | 'already'> {
    const row = await db
      .selectFrom('sandbox_approvals')
      .select(['status', 'expires_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return 'not_found';
    if (row.status !== 'pending') return 'already';
    if (new Date(row.expires_at) <= clock.now()) return 'expired';
    await db
      .updateTable('sandbox_approvals')
      .set({ status: 'approved' })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    return 'approved';
  }

  async function holder(a: BankAccountRef) {
    const acct = await account(a);
    return acct && { nameKana: acct.holder_name_kana, birthDate: acct.birth_date };
  }

  async function notifyHolder(a: BankAccountRef, body: string): Promise<void> {
    const acct = await account(a);
    if (acct) await deps.notifier.send({ to: acct.phone, channel: 'bank_notice', body: `[銀行${a.bankCode}] ${body}` });
  }

  return { checkPin, sendOtp, checkOtp, requestApproval, approvalState, holder, notifyHolder, approve };
}
