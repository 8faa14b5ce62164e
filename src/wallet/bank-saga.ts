import type { Transaction } from 'kysely';
import { type BankOutcome, BankTimeoutError, BankUnavailableError, type InquiryOutcome } from '../banks/index.ts';
import type { DB, MoneyFailureCode } from '../db/index.ts';
import { inTransaction } from '../db/index.ts';
import { AppError } from '../platform/index.ts';
import { type CircuitBreaker, createCircuitBreaker } from './circuit-breaker.ts';
import type { WalletDeps } from './context.ts';

/** Charges and withdrawals share one shape: a ledger hold, a bank call, then post or void. */
export type SagaTable = 'charges' | 'withdrawals';

export type Settlement = { outcome: 'post' } | { outcome: 'void'; failureCode: MoneyFailureCode };

/** The failure code of an object whose bank refused the connection: nothing happened there, so it may be resumed. */
export const BANK_UNAVAILABLE = 'bank_unavailable' satisfies MoneyFailureCode;

const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/**
 * The middle and last steps of a bank saga. The hold is already committed; the bank is called outside any
 * transaction; the answer posts or voids the hold. A timeout leaves the object `pending` for the inquiry job.
 * Post and void are guarded twice: the status moves from `pending` only once (conditional UPDATE), and the
 * ledger refuses a second resolution of the hold (unique index).
 */
export function createBankSaga(deps: WalletDeps, breaker: CircuitBreaker = createCircuitBreaker(deps.clock)) {
  /**
   * Refuses (503 bank_unavailable with `retryAfterSeconds`) while the bank's circuit is open: called before an
   * object is written, so retries during an outage create nothing.
   */
  function assertBankAvailable(bankCode: string): void {
    const v = breaker.check(bankCode);
    if (!v.pass)
      throw new AppError('bank_unavailable', 'the bank is not reachable right now; nothing was done, retry later', {
        bankCode,
        retryAfterSeconds: retryAfterSeconds(v.retryAfterMs),
      });
  }

  async function callBank(
    table: SagaTable,
    id: string,
    bankCode: string,
    call: () => Promise<BankOutcome>,
  ): Promise<'settled' | 'in_flight'> {
    let outcome: BankOutcome;
    try {
      outcome = await call();
    } catch (e) {
      if (e instanceof BankTimeoutError) {
        breaker.succeeded(bankCode);
        return 'in_flight';
      }
      if (e instanceof BankUnavailableError) {
        breaker.failed(bankCode);
        await settle(table, id, { outcome: 'void', failureCode: BANK_UNAVAILABLE });
        const details = {
          [table === 'charges' ? 'chargeId' : 'withdrawalId']: id,
          bankCode,
          retryAfterSeconds: retryAfterSeconds(breaker.retryAfterMs(bankCode) || 5_000),
        };
        throw new AppError(
          'bank_unavailable',
          'the bank is not reachable right now; nothing was moved, retry later with the same Idempotency-Key',
          details,
        );
      }
      // Anything else is an unknown outcome too: leave it to the inquiry, which asks the bank what happened.
      deps.alert?.('bank call failed unexpectedly', { table, id, error: String(e) });
      return 'in_flight';
    }
    breaker.succeeded(bankCode);
    await settle(
      table,
      id,
      outcome.outcome === 'succeeded' ? { outcome: 'post' } : { outcome: 'void', failureCode: outcome.code },
    );
    return 'settled';
  }

  /** Moves a pending object to its final state and resolves its hold, in one transaction. Idempotent. */
  async function settle(table: SagaTable, id: string, s: Settlement): Promise<boolean> {
    return inTransaction(deps.db, async (trx) => {
      const row = await claimPending(trx, table, id, s);
      if (!row?.hold_id) return false;
      await deps.ledger.resolvePending(trx, row.hold_id, s.outcome);
      if (s.outcome === 'post') await announce(trx, table, id, row);
      return true;
    });
  }

  /** The user hears that money arrived or left, in the transaction that settled it. */
  async function announce(
    trx: Transaction<DB>,
    table: SagaTable,
    id: string,
    row: { user_id: string; amount: number },
  ) {
    const charge = table === 'charges';
    await deps.notices?.enqueue(trx, {
      channel: 'email',
      to: { userId: row.user_id },
      template: charge ? 'charge_succeeded' : 'withdrawal_sent',
      data: charge ? { amount: row.amount, chargeId: id } : { amount: row.amount, withdrawalId: id },
      idempotencyKey: `${charge ? 'charge_succeeded' : 'withdrawal_sent'}:${id}`,
    });
  }

  async function claimPending(trx: Transaction<DB>, table: SagaTable, id: string, s: Settlement) {
    return trx
      .updateTable(table)
      .set({
        status: s.outcome === 'post' ? 'succeeded' : 'failed',
        failure_code: s.outcome === 'void' ? s.failureCode : null,
        updated_at: deps.clock.now(),
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .returning(['hold_id', 'user_id', 'amount'])
      .executeTakeFirst();
  }

  /**
   * The inquiry job: asks the bank about every movement still pending after `graceMs` and settles it. Several
   * workers may run it at once; settle() lets exactly one of them win each object.
   */
  async function settleInFlight(
    table: SagaTable,
    graceMs = 30_000,
    batch = 100,
  ): Promise<{ posted: number; voided: number; unknown: number }> {
    const cutoff = new Date(deps.clock.now().getTime() - graceMs);
    const rows = await deps.db
      .selectFrom(table)
      .select(['id', 'bank_code', 'bank_reference'])
      .where('status', '=', 'pending')
      .where('bank_called_at', '<=', cutoff)
      .orderBy('bank_called_at')
      .limit(batch)
      .execute();
    const tally = { posted: 0, voided: 0, unknown: 0 };
    for (const r of rows) {
      let answer: InquiryOutcome;
      try {
        answer = await deps.bank.inquire(r.bank_code, r.bank_reference);
      } catch {
        tally.unknown++;
        continue;
      }
      const s: Settlement =
        answer.outcome === 'succeeded'
          ? { outcome: 'post' }
          : answer.outcome === 'declined'
            ? { outcome: 'void', failureCode: answer.code }
            : { outcome: 'void', failureCode: 'bank_timeout' };
      if (await settle(table, r.id, s)) tally[s.outcome === 'post' ? 'posted' : 'voided']++;
    }
    return tally;
  }

  /**
   * A retry with the same Idempotency-Key after the bank was unavailable takes the same object back to
   * `pending`, in the caller's transaction; of racing retries exactly one wins (a conditional UPDATE).
   */
  async function reclaimAfterOutage(trx: Transaction<DB>, table: SagaTable, id: string, now: Date): Promise<boolean> {
    const won = await trx
      .updateTable(table)
      .set({ status: 'pending', failure_code: null, bank_called_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'failed')
      .where('failure_code', '=', BANK_UNAVAILABLE)
      .returning('id')
      .executeTakeFirst();
    return won !== undefined;
  }

  return { assertBankAvailable, callBank, settle, settleInFlight, reclaimAfterOutage, breaker };
}
export type BankSaga = ReturnType<typeof createBankSaga>;
