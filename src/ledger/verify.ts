import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Violation } from './types.ts';

/**
 * Checks the whole ledger from its transfers up: every transfer balanced, every resolution matching its
 * hold, every account's stored balance equal to the sum of its transfers, the sum over all accounts zero,
 * and no wallet below zero. Returns every violation found (empty = sound).
 */
export async function verifyLedger(db: Kysely<DB>): Promise<Violation[]> {
  const violations: Violation[] = [];

  const unbalanced = await sql<{ id: string }>`
    SELECT id FROM ledger_transfers
    WHERE amount < 1 OR amount > 9999999999 OR debit_account_id = credit_account_id
    ORDER BY id LIMIT 10`.execute(db);
  for (const r of unbalanced.rows)
    violations.push({
      check: 'transfer_balanced',
      transferId: r.id,
      message: `transfer ${r.id} is not a balanced movement between two accounts`,
    });

  const badResolutions = await sql<{ id: string }>`
    SELECT r.id FROM ledger_transfers r JOIN ledger_transfers p ON p.id = r.pending_id
    WHERE p.phase <> 'pending' OR r.amount <> p.amount OR r.debit_account_id <> p.debit_account_id
       OR r.credit_account_id <> p.credit_account_id OR r.debit_slot <> p.debit_slot OR r.credit_slot <> p.credit_slot
    ORDER BY r.id LIMIT 10`.execute(db);
  for (const r of badResolutions.rows)
    violations.push({
      check: 'resolution_matches',
      transferId: r.id,
      message: `post/void ${r.id} does not match its pending transfer`,
    });

  // Recompute every (account, slot) from the transfers and compare with what is stored.
  const mismatched = await sql<{ account_id: string; slot: number; stored: string; computed: string }>`
    WITH legs AS (
      SELECT debit_account_id AS account_id, debit_slot AS slot,
             CASE WHEN phase IN ('single','post') THEN amount ELSE 0 END AS dp, 0::int8 AS cp,
             CASE phase WHEN 'pending' THEN amount WHEN 'single' THEN 0 ELSE -amount END AS dpe, 0::int8 AS cpe
      FROM ledger_transfers
      UNION ALL
      SELECT credit_account_id, credit_slot, 0::int8,
             CASE WHEN phase IN ('single','post') THEN amount ELSE 0 END, 0::int8,
             CASE phase WHEN 'pending' THEN amount WHEN 'single' THEN 0 ELSE -amount END
      FROM ledger_transfers
    ), computed AS (
      SELECT account_id, slot, sum(dp)::int8 AS dp, sum(cp)::int8 AS cp, sum(dpe)::int8 AS dpe, sum(cpe)::int8 AS cpe
      FROM legs GROUP BY account_id, slot
    )
    SELECT b.account_id, b.slot,
           concat_ws('/', b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending) AS stored,
           concat_ws('/', coalesce(c.dp, 0), coalesce(c.cp, 0), coalesce(c.dpe, 0), coalesce(c.cpe, 0)) AS computed
    FROM ledger_balances b
    FULL JOIN computed c ON c.account_id = b.account_id AND c.slot = b.slot
    WHERE b.account_id IS NULL
       OR b.debits_posted <> coalesce(c.dp, 0) OR b.credits_posted <> coalesce(c.cp, 0)
       OR b.debits_pending <> coalesce(c.dpe, 0) OR b.credits_pending <> coalesce(c.cpe, 0)
    ORDER BY 1, 2 LIMIT 10`.execute(db);
  for (const r of mismatched.rows) {
    violations.push({
      check: 'account_balance',
      accountId: r.account_id,
      message: `account ${r.account_id} slot ${r.slot}: stored ${r.stored} but transfers give ${r.computed} (debits/credits posted, debits/credits pending)`,
    });
  }

  const totals = await sql<{ dp: number; cp: number; dpe: number; cpe: number }>`
    SELECT coalesce(sum(debits_posted), 0)::int8 AS dp, coalesce(sum(credits_posted), 0)::int8 AS cp,
           coalesce(sum(debits_pending), 0)::int8 AS dpe, coalesce(sum(credits_pending), 0)::int8 AS cpe
    FROM ledger_balances`.execute(db);
  const t = totals.rows[0];
  if (t && (Number(t.dp) !== Number(t.cp) || Number(t.dpe) !== Number(t.cpe))) {
    violations.push({
      check: 'ledger_sum_zero',
      message: `sum over all accounts is not zero: debits ${t.dp}/${t.dpe} vs credits ${t.cp}/${t.cpe} (posted/pending)`,
    });
  }

  const negative = await sql<{ account_id: string; available: number }>`
    SELECT b.account_id, sum(b.credits_posted - b.debits_posted - b.debits_pending)::int8 AS available
    FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
    WHERE a.kind = 'wallet'
    GROUP BY b.account_id
    HAVING sum(b.credits_posted - b.debits_posted - b.debits_pending) < 0
    ORDER BY 1 LIMIT 10`.execute(db);
  for (const r of negative.rows)
    violations.push({
      check: 'wallet_not_negative',
      accountId: r.account_id,
      message: `wallet account ${r.account_id} is negative: ${r.available}`,
    });

  return violations;
}
