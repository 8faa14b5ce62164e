import { hash, verify } from '@node-rs/argon2';
import type { Kysely, Transaction } from 'kysely';
import {
  type BankAccountRef,
  type BankGateway,
  type BankMovement,
  type BankOutcome,
  BankTimeoutError,
  BankUnavailableError,
  type InquiryOutcome,
} from '../banks/index.ts';
import { type DB, type FaultKind, inTransaction } from '../db/index.ts';
import { isUniqueViolation } from '../db/index.ts';
import { type Yen, yen } from '../money/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';

export interface SandboxBankDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  /** Uniform [0,1): decides whether an injected fault fires; tests pass a fixed sequence. */
  random: () => number;
  /** Operator name shown in the holder's notices. */
  operatorName: string;
  /** argon2id cost of PIN hashes; absent = the library's defaults. Lowered only by the simulator and tests. */
  hashCost?: { memoryCost: number; timeCost: number };
}

export interface OpenAccountInput extends Omit<BankAccountRef, 'accountNumber'> {
  accountNumber?: string;
  holderNameKana: string;
  birthDate: string;
  pin: string;
  phone: string;
  balance: Yen;
}

export interface StatementLine {
  reference: string;
  descriptor: string;
  amount: Yen;
  balanceAfter: Yen;
  createdAt: string;
}

export type SandboxBank = ReturnType<typeof createSandboxBank>;

/**
 * Simulated banks, backed by tables: accounts with holder data, statements, and operations by reference.
 * Debits and credits are idempotent by reference; faults (timeout, decline, duplicate delivery, down) can be
 * injected per bank at a rate.
 */
export function createSandboxBank(deps: SandboxBankDeps) {
  const { db, clock } = deps;

  async function openAccount(input: OpenAccountInput): Promise<{ accountNumber: string }> {
    const pinHash = await hash(input.pin, deps.hashCost);
    for (let attempt = 0; attempt < 5; attempt++) {
      const accountNumber = input.accountNumber ?? String(1_000_000 + Math.floor(deps.random() * 9_000_000));
      try {
        await db
          .insertInto('sandbox_bank_accounts')
          .values({
            bank_code: input.bankCode,
            branch_code: input.branchCode,
            account_number: accountNumber,
            account_type: input.accountType,
            holder_name_kana: input.holderNameKana,
            birth_date: input.birthDate,
            pin_hash: pinHash,
            phone: input.phone,
            balance: input.balance,
            created_at: clock.now(),
          })
          .execute();
        return { accountNumber };
      } catch (e) {
        if (!isUniqueViolation(e) || input.accountNumber)
          throw isUniqueViolation(e) ? new AppError('invalid_state', 'that sandbox account number is taken') : e;
      }
    }
    throw new AppError('internal_error', 'could not allocate a sandbox account number');
  }

  async function findAccount(ref: Omit<BankAccountRef, 'accountType'>) {
    return db
      .selectFrom('sandbox_bank_accounts')
      .selectAll()
      .where('bank_code', '=', ref.bankCode)
      .where('branch_code', '=', ref.branchCode)
      .where('account_number', '=', ref.accountNumber)
      .executeTakeFirst();
  }

  async function statement(ref: Omit<BankAccountRef, 'accountType'>): Promise<StatementLine[]> {
    const rows = await db
      .selectFrom('sandbox_statement_lines')
      .selectAll()
      .where('bank_code', '=', ref.bankCode)
      .where('branch_code', '=', ref.branchCode)
      .where('account_number', '=', ref.accountNumber)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      reference: r.reference,
      descriptor: r.descriptor,
      amount: yen(r.amount),
      balanceAfter: yen(r.balance_after),
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  async function checkPin(ref: Omit<BankAccountRef, 'accountType'>, pin: string): Promise<boolean> {
    const a = await findAccount(ref);
    return a !== undefined && (await verify(a.pin_hash, pin));
  }

  async function setFault(bankCode: string, kind: FaultKind, rate: number): Promise<void> {
    if (rate === 0) {
      await db.deleteFrom('sandbox_faults').where('bank_code', '=', bankCode).where('kind', '=', kind).execute();
      return;
    }
    await db
      .insertInto('sandbox_faults')
      .values({ bank_code: bankCode, kind, rate })
      .onConflict((oc) => oc.columns(['bank_code', 'kind']).doUpdateSet({ rate }))
      .execute();
  }

  async function clearFaults(bankCode?: string): Promise<void> {
    let q = db.deleteFrom('sandbox_faults');
    if (bankCode) q = q.where('bank_code', '=', bankCode);
    await q.execute();
  }

  async function firingFaults(bankCode: string): Promise<Set<FaultKind>> {
    const rows = await db
      .selectFrom('sandbox_faults')
      .select(['kind', 'rate'])
      .where('bank_code', '=', bankCode)
      .execute();
    return new Set(rows.filter((r) => deps.random() < r.rate).map((r) => r.kind));
  }

  /** Runs a movement through the injected faults, then applies it (at most once per reference). */
  async function move(kind: 'debit' | 'credit', m: BankMovement): Promise<BankOutcome> {
    const faults = await firingFaults(m.account.bankCode);
    if (faults.has('down')) throw new BankUnavailableError(`sandbox bank ${m.account.bankCode} is down`);
    if (faults.has('decline')) return record(kind, m, { outcome: 'declined', code: 'declined_by_bank' });
    if (faults.has('timeout')) {
      // The request may or may not have reached the bank before the line dropped; only an inquiry can tell.
      if (deps.random() < 0.5) await apply(kind, m);
      throw new BankTimeoutError(`sandbox bank ${m.account.bankCode} did not answer`);
    }
    const first = await apply(kind, m);
    // A duplicate delivery sends the very same request again: the bank must answer it from the first.
    if (faults.has('duplicate')) return apply(kind, m);
    return first;
  }

  async function apply(kind: 'debit' | 'credit', m: BankMovement): Promise<BankOutcome> {
    try {
      return await inTransaction(db, async (trx) => {
        const done = await findOperation(trx, m.reference);
        if (done) return done;
        const account = await trx
          .selectFrom('sandbox_bank_accounts')
          .selectAll()
          .where('bank_code', '=', m.account.bankCode)
          .where('branch_code', '=', m.account.branchCode)
          .where('account_number', '=', m.account.accountNumber)
          .forUpdate()
          .executeTakeFirst();
        const refusal = !account
          ? 'account_not_found'
          : account.locked_at
            ? 'account_locked'
            : kind === 'debit' && account.account_type === 'savings'
              ? 'account_type_not_supported'
              : kind === 'debit' && account.balance < m.amount
                ? 'insufficient_funds'
                : null;
        if (refusal || !account)
          return insertOperation(trx, kind, m, { outcome: 'declined', code: refusal ?? 'account_not_found' });
        const delta = kind === 'debit' ? -m.amount : m.amount;
        const after = account.balance + delta;
        await trx
          .updateTable('sandbox_bank_accounts')
          .set({ balance: after })
          .where('bank_code', '=', account.bank_code)
          .where('branch_code', '=', account.branch_code)
          .where('account_number', '=', account.account_number)
          .execute();
        await trx
          .insertInto('sandbox_statement_lines')
          .values({
            bank_code: account.bank_code,
            branch_code: account.branch_code,
            account_number: account.account_number,
            reference: m.reference,
            descriptor: m.descriptor,
            amount: delta,
            balance_after: after,
            created_at: clock.now(),
          })
          .execute();
        await notifyHolder(
          trx,
          account.phone,
          kind === 'debit'
            ? `[${bankLabel(account.bank_code)}] ${deps.operatorName}への口座振替で ${m.amount.toLocaleString('ja-JP')}円 を出金しました (${m.descriptor})。お心当たりのない場合は銀行へご連絡ください。`
            : `[${bankLabel(account.bank_code)}] ${deps.operatorName}から ${m.amount.toLocaleString('ja-JP')}円 の入金がありました (${m.descriptor})。`,
        );
        return insertOperation(trx, kind, m, { outcome: 'succeeded' });
      });
    } catch (e) {
      // Two deliveries of one reference raced: the loser answers from the winner's record.
      if (isUniqueViolation(e)) {
        const done = await findOperation(db, m.reference);
        if (done) return done;
      }
      throw e;
    }
  }

  async function record(kind: 'debit' | 'credit', m: BankMovement, outcome: BankOutcome): Promise<BankOutcome> {
    return inTransaction(
      db,
      async (trx) => (await findOperation(trx, m.reference)) ?? insertOperation(trx, kind, m, outcome),
    );
  }

  async function inquire(bankCode: string, reference: string): Promise<InquiryOutcome> {
    const done = await findOperation(db, reference);
    if (done) return done;
    // Record the reference as cancelled so a request still in flight can never apply after this answer.
    try {
      await db
        .insertInto('sandbox_bank_operations')
        .values({
          reference,
          bank_code: bankCode,
          branch_code: '',
          account_number: '',
          kind: 'debit',
          amount: 0,
          outcome: 'cancelled',
          decline_code: 'cancelled_by_inquiry',
          created_at: clock.now(),
        })
        .execute();
      return { outcome: 'not_found' };
    } catch (e) {
      if (isUniqueViolation(e)) return (await findOperation(db, reference)) ?? { outcome: 'not_found' };
      throw e;
    }
  }

  async function notifyHolder(trx: Transaction<DB>, phone: string, body: string): Promise<void> {
    await trx
      .insertInto('sandbox_messages')
      .values({
        id: deps.newId('msg'),
        recipient: phone,
        channel: 'bank_notice',
        body,
        code: null,
        created_at: clock.now(),
      })
      .execute();
  }

  async function insertOperation(
    trx: Transaction<DB>,
    kind: 'debit' | 'credit',
    m: BankMovement,
    outcome: BankOutcome,
  ): Promise<BankOutcome> {
    await trx
      .insertInto('sandbox_bank_operations')
      .values({
        reference: m.reference,
        bank_code: m.account.bankCode,
        branch_code: m.account.branchCode,
        account_number: m.account.accountNumber,
        kind,
        amount: m.amount,
        outcome: outcome.outcome,
        decline_code: outcome.outcome === 'declined' ? outcome.code : null,
        created_at: clock.now(),
      })
      .execute();
    return outcome;
  }

  const gateway: BankGateway = { debit: (m) => move('debit', m), credit: (m) => move('credit', m), inquire };
  return { gateway, openAccount, findAccount, statement, checkPin, setFault, clearFaults };
}

async function findOperation(q: Kysely<DB> | Transaction<DB>, reference: string): Promise<BankOutcome | undefined> {
  const op = await q
    .selectFrom('sandbox_bank_operations')
    .select(['outcome', 'decline_code'])
    .where('reference', '=', reference)
    .executeTakeFirst();
  if (!op) return undefined;
  if (op.outcome === 'succeeded') return { outcome: 'succeeded' };
  return {
    outcome: 'declined',
    code: op.decline_code ?? (op.outcome === 'cancelled' ? 'cancelled_by_inquiry' : 'declined_by_bank'),
  };
}

const bankLabel = (code: string): string => `銀行${code}`;
