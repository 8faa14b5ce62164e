import { createHash, createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Clock } from '../platform/index.ts';
import type { BankAccountRef } from './gateway.ts';
import type { LinkingPolicy } from './policy.ts';

export interface Source {
  deviceId?: string | undefined;
  ip?: string | undefined;
}

export type GuardVerdict = { blocked: false } | { blocked: true; by: 'pin_value' | 'device' | 'ip'; failures: number };

/**
 * Reverse brute force: an attacker fixes a common PIN and tries it across many account numbers, so no single
 * account reaches the bank's 3-try lock. Saifu counts PIN failures per PIN value (as a keyed hash: the PIN is
 * never readable here) across all accounts, and per device and per IP, and blocks once a count passes its limit.
 */
export function createPinGuard(deps: { db: Kysely<DB>; clock: Clock; pepper: string; policy: () => LinkingPolicy }) {
  const pinKey = (pin: string) => createHmac('sha256', deps.pepper).update(`pin:${pin}`).digest('hex');
  const accountKey = (a: BankAccountRef) => createHash('sha256').update(`${a.bankCode}|${a.branchCode}|${a.accountNumber}`).digest('hex');

  async function check(pin: string, source: Source): Promise<GuardVerdict> {
    const rb = deps.policy().reverseBruteForce;
    if (!rb.enabled) return { blocked: false };
    const since = new Date(deps.clock.now().getTime() - rb.windowMs);
    const r = await deps.db
      .selectFrom('pin_failures')
      .select([
        sql<number>`count(DISTINCT account_key) FILTER (WHERE pin_key = ${pinKey(pin)})::int`.as('accounts'),
        sql<number>`count(*) FILTER (WHERE device_id = ${source.deviceId ?? null})::int`.as('device'),
        sql<number>`count(*) FILTER (WHERE ip = ${source.ip ?? null})::int`.as('ip'),
      ])
      .where('created_at', '>=', since)
      .where((eb) => eb.or([eb('pin_key', '=', pinKey(pin)), ...(source.deviceId ? [eb('device_id', '=', source.deviceId)] : []), ...(source.ip ? [eb('ip', '=', source.ip)] : [])]))
      .executeTakeFirstOrThrow();
    if (r.accounts >= rb.maxAccountsPerPin) return { blocked: true, by: 'pin_value', failures: r.accounts };
    if (source.deviceId && r.device >= rb.maxFailuresPerSource) return { blocked: true, by: 'device', failures: r.device };
    if (source.ip && r.ip >= rb.maxFailuresPerSource) return { blocked: true, by: 'ip', failures: r.ip };
    return { blocked: false };
  }

  async function recordFailure(pin: string, account: BankAccountRef, source: Source, userId: string): Promise<void> {
    await deps.db
      .insertInto('pin_failures')
      .values({ pin_key: pinKey(pin), bank_code: account.bankCode, account_key: accountKey(account), device_id: source.deviceId ?? null, ip: source.ip ?? null, user_id: userId, created_at: deps.clock.now() })
      .execute();
  }

  return { check, recordFailure };
}
export type PinGuard = ReturnType<typeof createPinGuard>;
