import { sql } from 'kysely';
import { remainingOf, yen } from '../money/index.ts';
import { AppError } from '../platform/index.ts';
import type { Charges } from './charges.ts';
import type { AccountDirectory, WalletDeps } from './context.ts';
import type { Actor, RestrictionView, TransactionItem, WalletSummary } from './types.ts';

/** What a wallet holder reads: the wallet summary and the list of movements. */
export function createHistory(
  deps: WalletDeps,
  accounts: AccountDirectory,
  charges: Charges,
  restrictionsOf: (userId: string) => Promise<RestrictionView[]>,
) {
  async function summary(actor: Actor): Promise<WalletSummary> {
    const a = await deps.ledger.available(deps.db, await accounts.walletAccountOf(actor.id));
    const v = await charges.limitsView(actor);
    return {
      balance: a.available,
      pending: { incoming: a.pendingIncoming, outgoing: a.pendingOutgoing },
      limits: {
        perCharge: v.limits.perCharge,
        monthly: {
          limit: v.limits.monthly,
          used: v.monthlyUsed,
          remaining: remainingOf(v.limits.monthly, v.monthlyUsed),
        },
        ...(v.newLinkDaily
          ? {
              newLinkDaily: {
                limit: v.newLinkDaily.limit,
                used: v.newLinkDaily.used,
                remaining: remainingOf(v.newLinkDaily.limit, v.newLinkDaily.used),
              },
            }
          : {}),
        balanceCap: v.limits.balanceCap,
      },
      restrictions: await restrictionsOf(actor.id),
    };
  }

  /** Newest first; ids are time-ordered ULIDs behind their prefix, so the part after '_' orders them. */
  async function transactions(
    actor: Actor,
    page: { limit: number; startingAfter?: string },
  ): Promise<{ data: TransactionItem[]; hasMore: boolean }> {
    const uid = actor.id;
    let after: string | null = null;
    if (page.startingAfter) {
      const [, key] = page.startingAfter.split('_');
      if (!key) throw new AppError('invalid_request', 'starting_after is not an id', { field: 'starting_after' });
      after = key;
    }
    const rows = await sql<{
      id: string;
      type: TransactionItem['type'];
      status: TransactionItem['status'];
      amount: number;
      counterparty: string | null;
      created_at: Date | string;
    }>`
      SELECT * FROM (
        SELECT id, 'charge' AS type, status, amount, bank_link_id AS counterparty, created_at FROM charges WHERE user_id = ${uid}
        UNION ALL SELECT id, 'payment', status, amount, merchant_id, created_at FROM payments WHERE user_id = ${uid}
        UNION ALL SELECT id, 'transfer_out', status, amount, to_user_id, created_at FROM wallet_transfers WHERE from_user_id = ${uid}
        UNION ALL SELECT id, 'transfer_in', status, amount, from_user_id, created_at FROM wallet_transfers WHERE to_user_id = ${uid}
        UNION ALL SELECT id, 'withdrawal', status, amount, bank_link_id, created_at FROM withdrawals WHERE user_id = ${uid}
        UNION ALL SELECT id, 'refund', status, amount, merchant_id, created_at FROM refunds WHERE user_id = ${uid}
      ) t
      WHERE ${after === null ? sql`true` : sql`split_part(id, '_', 2) < ${after}`}
      ORDER BY split_part(id, '_', 2) DESC
      LIMIT ${page.limit + 1}`.execute(deps.db);
    const items = rows.rows.slice(0, page.limit).map((r) => ({
      id: r.id,
      type: r.type,
      status: r.status,
      amount: yen(r.amount),
      direction: (['charge', 'transfer_in', 'refund'].includes(r.type) ? 'in' : 'out') as TransactionItem['direction'],
      ...(r.counterparty ? { counterparty: r.counterparty } : {}),
      createdAt: new Date(r.created_at).toISOString(),
    }));
    return { data: items, hasMore: rows.rows.length > page.limit };
  }

  return { summary, transactions };
}
