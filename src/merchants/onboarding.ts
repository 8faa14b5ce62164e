import { createHash, randomBytes } from 'node:crypto';
import { isValidZenginName, scoreNameMatch } from '../banks/index.ts';
import { inTransaction } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import * as repo from './repository.ts';
import type { Merchant, MerchantsDeps, PayoutAccount } from './types.ts';

export const DEFAULT_KEY_GRACE_MS = 24 * 60 * 60 * 1000;
const DEFAULT_NAME_THRESHOLD = 85;

/** API keys are kept only as their SHA-256 (the same hash the wallet's sandbox merchants use). */
export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');
const newKey = () => `sk_${randomBytes(24).toString('base64url')}`;

export interface Onboarding {
  name: string;
  /** The legal name as banks hold it (Zengin half-width kana), checked against the payout account's holder. */
  legalNameKana: string;
  payoutAccount: PayoutAccount;
  webhookUrl?: string;
}

/** Operators' side of merchants: onboarding, API keys (shown once), suspension. Every change is audited. */
export function createMerchantAccounts(deps: MerchantsDeps) {
  const graceMs = deps.keyGraceMs ?? DEFAULT_KEY_GRACE_MS;

  async function mustFind(id: string) {
    const m = await repo.findMerchant(deps.db, id);
    if (!m) throw new AppError('not_found', `no merchant ${id}`);
    return m;
  }

  /** The bank is asked for the holder's name before the transaction (no network call inside one). */
  async function checkPayout(legalNameKana: string, account: PayoutAccount): Promise<number> {
    if (!isValidZenginName(legalNameKana))
      throw new AppError('invalid_request', 'legalNameKana must be half-width katakana (Zengin characters)', {
        field: 'legalNameKana',
      });
    const holder = await deps.payoutHolder(account);
    if (holder === undefined)
      throw new AppError('payout_account_not_found', 'the bank has no such payout account', {
        bankCode: account.bankCode,
        branchCode: account.branchCode,
        accountNumberLast4: account.accountNumber.slice(-4),
      });
    const { score } = scoreNameMatch(holder, { familyNameKana: legalNameKana, givenNameKana: '' });
    const threshold = deps.nameMatchThreshold ?? DEFAULT_NAME_THRESHOLD;
    if (score < threshold)
      throw new AppError('payout_name_mismatch', "the payout account's holder name is not the merchant's legal name", {
        score,
        threshold,
      });
    return score;
  }

  async function onboard(
    operatorId: string,
    o: Onboarding,
  ): Promise<{ merchant: Merchant; apiKey: string; webhookSecret?: string }> {
    const score = await checkPayout(o.legalNameKana, o.payoutAccount);
    const id = deps.newId('mer');
    const apiKey = newKey();
    const webhookSecret = o.webhookUrl && deps.webhooks ? `whsec_${randomBytes(24).toString('base64url')}` : undefined;
    const now = deps.clock.now();
    await inTransaction(deps.db, async (trx) => {
      const accountId = await deps.ledger.createAccount(trx, { kind: 'merchant', ownerId: id });
      await trx
        .insertInto('merchants')
        .values({
          id,
          name: o.name,
          account_id: accountId,
          api_key_hash: hashKey(apiKey),
          created_at: now,
          legal_name_kana: o.legalNameKana,
          payout_bank_code: o.payoutAccount.bankCode,
          payout_branch_code: o.payoutAccount.branchCode,
          payout_account_type: o.payoutAccount.accountType,
          payout_account_number: o.payoutAccount.accountNumber,
          payout_name_score: score,
          webhook_url: o.webhookUrl ?? null,
          onboarded_by: operatorId,
        })
        .execute();
      if (o.webhookUrl && webhookSecret)
        await deps.webhooks?.register(trx, { owner: id, url: o.webhookUrl, secret: webhookSecret });
      await deps.audit(trx, {
        actor: operatorId,
        action: 'merchant.onboarded',
        target: id,
        details: {
          name: o.name,
          payout: { ...o.payoutAccount, accountNumber: `***${o.payoutAccount.accountNumber.slice(-4)}` },
          nameMatchScore: score,
          webhookUrl: o.webhookUrl ?? null,
        },
      });
    });
    return { merchant: repo.toMerchant(await mustFind(id)), apiKey, ...(webhookSecret ? { webhookSecret } : {}) };
  }

  /**
   * A new key, shown once. The key it replaces keeps working for the grace period (its hash kept with an expiry);
   * a key rotated out earlier stops at once (only one previous key is kept).
   */
  async function rotateKey(
    operatorId: string,
    id: string,
    reason: string,
  ): Promise<{ apiKey: string; previousKeyExpiresAt: string }> {
    const apiKey = newKey();
    const now = deps.clock.now();
    const expires = new Date(now.getTime() + graceMs);
    await inTransaction(deps.db, async (trx) => {
      const done = await trx
        .updateTable('merchants')
        .set((eb) => ({
          previous_key_hash: eb.ref('api_key_hash'),
          previous_key_expires_at: expires,
          api_key_hash: hashKey(apiKey),
          key_rotated_at: now,
        }))
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
      if (!done) throw new AppError('not_found', `no merchant ${id}`);
      await deps.audit(trx, {
        actor: operatorId,
        action: 'merchant.key_rotated',
        target: id,
        details: { reason, previousKeyExpiresAt: expires.toISOString() },
      });
    });
    return { apiKey, previousKeyExpiresAt: expires.toISOString() };
  }

  async function setSuspended(operatorId: string, id: string, suspended: boolean, reason: string): Promise<Merchant> {
    if (reason.trim() === '') throw new AppError('reason_required', 'say why (reason)');
    const from = suspended ? 'active' : 'suspended';
    await inTransaction(deps.db, async (trx) => {
      const done = await trx
        .updateTable('merchants')
        .set({ status: suspended ? 'suspended' : 'active', suspended_at: suspended ? deps.clock.now() : null })
        .where('id', '=', id)
        .where('status', '=', from)
        .returning('id')
        .executeTakeFirst();
      if (!done) {
        const m = await trx.selectFrom('merchants').select('status').where('id', '=', id).executeTakeFirst();
        if (!m) throw new AppError('not_found', `no merchant ${id}`);
        throw new AppError('invalid_state', `the merchant is ${m.status}`, { status: m.status });
      }
      await deps.audit(trx, {
        actor: operatorId,
        action: suspended ? 'merchant.suspended' : 'merchant.reinstated',
        target: id,
        details: { reason },
      });
    });
    return repo.toMerchant(await mustFind(id));
  }

  async function authenticate(apiKey: string) {
    return repo.findByKeyHash(deps.db, hashKey(apiKey), deps.clock.now());
  }

  /** Payments to a suspended merchant are refused (one primary-key read: suspension applies at once). */
  async function assertMayReceive(id: string): Promise<void> {
    const status = await repo.statusOf(deps.db, id);
    if (status === undefined) throw new AppError('unknown_merchant', `no merchant ${id}`, { merchantId: id });
    if (status === 'suspended')
      throw new AppError('merchant_suspended', 'the merchant is suspended and cannot take payments', {
        merchantId: id,
      });
  }

  async function list(o: { limit: number; startingAfter?: string }) {
    const rows = await repo.listMerchants(deps.db, o);
    return { data: rows.slice(0, o.limit).map(repo.toMerchant), hasMore: rows.length > o.limit };
  }

  return {
    onboard,
    rotateKey,
    suspend: (operatorId: string, id: string, reason: string) => setSuspended(operatorId, id, true, reason),
    reinstate: (operatorId: string, id: string, reason: string) => setSuspended(operatorId, id, false, reason),
    authenticate,
    assertMayReceive,
    get: async (id: string) => repo.toMerchant(await mustFind(id)),
    list,
  };
}
export type MerchantAccounts = ReturnType<typeof createMerchantAccounts>;
