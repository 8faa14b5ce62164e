import type { Kysely, Transaction } from 'kysely';
import { type DB, backOff, isRetryable, inTransaction } from '../db/index.ts';
import { type Yen, yen } from '../money/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import { translateLedgerError } from './errors.ts';
import * as repo from './repository.ts';
import type { AccountKind, AccountSpec, Available, Balance, Transfer, TransferRequest } from './types.ts';

export interface LedgerDeps {
  clock: Clock;
  newId: NewId;
  /** Where hot-account slots are drawn from (injected so seeded runs repeat); default Math.random. */
  random?: () => number;
}

/**
 * How many balance slots each kind gets. Wallets keep one, so the database CHECK sees the whole balance and
 * refuses overdrafts itself. Accounts that many movements touch at once (a merchant taking every payment, a
 * bank's clearing account on every charge) get many, so their credits do not queue on one row lock.
 */
const SHAPE: Record<AccountKind, { slots: number; mustNotOverdraw: boolean }> = {
  wallet: { slots: 1, mustNotOverdraw: true },
  merchant: { slots: 32, mustNotOverdraw: false },
  bank_clearing: { slots: 32, mustNotOverdraw: false },
  compensation: { slots: 4, mustNotOverdraw: false },
  fee: { slots: 8, mustNotOverdraw: false },
  suspense: { slots: 4, mustNotOverdraw: false },
};

export type Ledger = ReturnType<typeof createLedger>;

/** The only writer of balances. Every function that moves money takes a transaction owned by the use case. */
export function createLedger(deps: LedgerDeps) {
  // Account shapes never change after creation, so they are cached for the life of the process.
  const shapes = new Map<string, repo.AccountShape>();

  async function shapeOf(trx: Transaction<DB> | Kysely<DB>, id: string): Promise<repo.AccountShape> {
    const cached = shapes.get(id);
    if (cached) return cached;
    const found = await repo.findAccountShape(trx, id);
    if (!found) throw new AppError('not_found', `ledger account ${id} does not exist`);
    shapes.set(id, found);
    return found;
  }

  /** A slot for one movement: any slot will do, and spreading them is the point (no secrecy needed, so no CSPRNG). */
  const random = deps.random ?? Math.random;
  const pickSlot = (shape: repo.AccountShape): number => (shape.slots === 1 ? 0 : Math.floor(random() * shape.slots));

  async function createAccount(trx: Transaction<DB> | Kysely<DB>, spec: AccountSpec): Promise<string> {
    const id = deps.newId('acc');
    const shape = SHAPE[spec.kind];
    await repo.insertAccount(trx, {
      id,
      kind: spec.kind,
      ...shape,
      ownerId: spec.ownerId ?? null,
      bankCode: spec.bankCode ?? null,
      createdAt: deps.clock.now(),
    });
    shapes.set(id, { id, kind: spec.kind, ...shape });
    return id;
  }

  /** The clearing account of a bank, created on first use (two racing creators are fine: the loser re-reads). */
  async function bankClearingAccount(db: Kysely<DB>, bankCode: string): Promise<string> {
    const found = await repo.findAccountId(db, 'bank_clearing', { bankCode });
    if (found) return found;
    try {
      return await inTransaction(db, (trx) => createAccount(trx, { kind: 'bank_clearing', bankCode }));
    } catch (e) {
      const again = await repo.findAccountId(db, 'bank_clearing', { bankCode });
      if (again) return again;
      throw e;
    }
  }

  async function systemAccount(
    db: Kysely<DB>,
    kind: Exclude<AccountKind, 'wallet' | 'merchant' | 'bank_clearing'>,
  ): Promise<string> {
    const found = await repo.findAccountId(db, kind, { ownerId: 'system' });
    if (found) return found;
    try {
      return await inTransaction(db, (trx) => createAccount(trx, { kind, ownerId: 'system' }));
    } catch (e) {
      const again = await repo.findAccountId(db, kind, { ownerId: 'system' });
      if (again) return again;
      throw e;
    }
  }

  /**
   * Posts a set of transfers atomically (all or none). `pending` holds the amounts instead: the debit side's
   * hold counts against its balance at once, the credit side sees it as incoming, until post or void.
   */
  async function transfer(
    trx: Transaction<DB>,
    requests: TransferRequest[],
    phase: 'single' | 'pending' = 'single',
    alongside: (ids: string[]) => repo.Alongside[] = () => [],
  ): Promise<Transfer[]> {
    return move(trx, requests, phase, alongside);
  }

  /**
   * One movement as ONE statement, outside any explicit transaction: the transfers, the balance updates and the
   * `alongside` statements (the money object's own row) commit or fail together, in a single round trip. For
   * the hot single-transfer paths (payments); deadlocks and serialization failures are retried here.
   */
  async function transferAtomically(
    db: Kysely<DB>,
    requests: TransferRequest[],
    alongside: (ids: string[]) => repo.Alongside[],
  ): Promise<Transfer[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await move(db, requests, 'single', alongside);
      } catch (e) {
        if (!isRetryable(e) || attempt >= 6) throw e;
        await backOff(attempt);
      }
    }
  }

  async function move(
    trx: Transaction<DB> | Kysely<DB>,
    requests: TransferRequest[],
    phase: 'single' | 'pending',
    alongside: repo.Alongside[] | ((ids: string[]) => repo.Alongside[]),
  ): Promise<Transfer[]> {
    if (requests.length === 0) return [];
    const now = deps.clock.now();
    const rows: repo.TransferRow[] = [];
    const deltas = new DeltaSet();
    for (const r of requests) {
      if (r.debitAccountId === r.creditAccountId)
        throw new AppError('invalid_state', 'a transfer needs two different accounts');
      const [d, c] = [await shapeOf(trx, r.debitAccountId), await shapeOf(trx, r.creditAccountId)];
      const row: repo.TransferRow = {
        id: deps.newId('xfr'),
        debitAccountId: d.id,
        creditAccountId: c.id,
        debitSlot: pickSlot(d),
        creditSlot: pickSlot(c),
        amount: yen(r.amount),
        phase,
        pendingId: null,
        reversesId: r.reversesId ?? null,
        code: r.code,
        refId: r.refId ?? null,
        createdAt: now,
      };
      deltas.add(row.debitAccountId, row.debitSlot, phase === 'single' ? { dp: row.amount } : { dpe: row.amount });
      deltas.add(row.creditAccountId, row.creditSlot, phase === 'single' ? { cp: row.amount } : { cpe: row.amount });
      rows.push(row);
    }
    await apply(trx, deltas, rows, typeof alongside === 'function' ? alongside(rows.map((r) => r.id)) : alongside);
    return rows.map(toTransfer);
  }

  /** Resolves a hold: `post` moves the held amount for good, `void` releases it. Never both, never twice (unique index). */
  async function resolvePending(
    trx: Transaction<DB>,
    pendingId: string,
    outcome: 'post' | 'void',
    code?: string,
  ): Promise<Transfer> {
    const p = await repo.findTransfer(trx, pendingId);
    if (p?.phase !== 'pending') throw new AppError('not_found', `pending transfer ${pendingId} does not exist`);
    if (await repo.isResolved(trx, pendingId))
      throw new AppError('invalid_state', 'the pending transfer has already been posted or voided');
    const row: repo.TransferRow = {
      ...p,
      id: deps.newId('xfr'),
      phase: outcome,
      pendingId: p.id,
      reversesId: null,
      code: code ?? p.code,
      createdAt: deps.clock.now(),
    };
    const deltas = new DeltaSet();
    const posted = outcome === 'post' ? p.amount : 0;
    deltas.add(p.debitAccountId, p.debitSlot, { dpe: -p.amount, dp: posted });
    deltas.add(p.creditAccountId, p.creditSlot, { cpe: -p.amount, cp: posted });
    await apply(trx, deltas, [row]);
    return toTransfer(row);
  }

  /** A correction: a new transfer the other way, linked to the original (entries are never edited). */
  async function reverse(
    trx: Transaction<DB>,
    transferId: string,
    amount: Yen,
    code = 'reversal',
    refId?: string,
  ): Promise<Transfer> {
    const t = await repo.findTransfer(trx, transferId);
    if (!t || (t.phase !== 'single' && t.phase !== 'post'))
      throw new AppError('not_found', `posted transfer ${transferId} does not exist`);
    if (amount > t.amount) throw new AppError('invalid_state', 'a reversal cannot exceed the original amount');
    const [done] = await transfer(trx, [
      {
        debitAccountId: t.creditAccountId,
        creditAccountId: t.debitAccountId,
        amount,
        code,
        reversesId: t.id,
        refId: refId ?? t.refId ?? undefined,
      },
    ]);
    if (!done) throw new AppError('internal_error', 'reversal was not written');
    return done;
  }

  async function apply(
    trx: Transaction<DB> | Kysely<DB>,
    deltas: DeltaSet,
    rows: repo.TransferRow[],
    alongside: repo.Alongside[] = [],
  ): Promise<void> {
    const list = deltas.list();
    let touched: number;
    try {
      touched = await repo.applyMovement(trx, list, rows, alongside);
    } catch (e) {
      throw translateLedgerError(e);
    }
    if (touched !== list.length) throw new AppError('not_found', 'a ledger account in this movement does not exist');
  }

  async function balance(q: Kysely<DB> | Transaction<DB>, accountId: string): Promise<Balance> {
    return repo.sumBalance(q, accountId);
  }

  async function available(q: Kysely<DB> | Transaction<DB>, accountId: string): Promise<Available> {
    const b = await repo.sumBalance(q, accountId);
    return {
      available: yen(b.creditsPosted - b.debitsPosted - b.debitsPending),
      pendingIncoming: b.creditsPending,
      pendingOutgoing: b.debitsPending,
    };
  }

  return {
    createAccount,
    bankClearingAccount,
    systemAccount,
    transfer,
    transferAtomically,
    resolvePending,
    reverse,
    balance,
    available,
  };
}

/** Sums per (account, slot) so a movement touching the same row twice updates it once. */
class DeltaSet {
  private readonly map = new Map<string, repo.SlotDelta>();
  add(accountId: string, slot: number, d: { dp?: number; cp?: number; dpe?: number; cpe?: number }): void {
    const key = `${accountId}#${slot}`;
    const cur = this.map.get(key) ?? {
      accountId,
      slot,
      debitsPosted: 0,
      creditsPosted: 0,
      debitsPending: 0,
      creditsPending: 0,
    };
    cur.debitsPosted += d.dp ?? 0;
    cur.creditsPosted += d.cp ?? 0;
    cur.debitsPending += d.dpe ?? 0;
    cur.creditsPending += d.cpe ?? 0;
    this.map.set(key, cur);
  }
  /** Sorted, so that transactions touching the same rows lock them in the same order. */
  list(): repo.SlotDelta[] {
    return [...this.map.values()].sort((a, b) =>
      a.accountId === b.accountId ? a.slot - b.slot : a.accountId < b.accountId ? -1 : 1,
    );
  }
}

function toTransfer(r: repo.TransferRow): Transfer {
  return {
    id: r.id,
    debitAccountId: r.debitAccountId,
    creditAccountId: r.creditAccountId,
    amount: yen(r.amount),
    phase: r.phase,
    pendingId: r.pendingId,
    reversesId: r.reversesId,
    code: r.code,
    refId: r.refId,
    createdAt: r.createdAt,
  };
}
