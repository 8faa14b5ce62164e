import type { Kysely, Selectable, Transaction } from 'kysely';
import { type DB, inTransaction } from '../db/index.ts';
import type { Notifier } from '../notify/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import * as repo from './repository.ts';
import type { BankSettings } from './settings.ts';

/** The four-eyes action (ops approvals) whose approval starts a forced re-link. */
export const FORCE_RELINK_APPROVAL = 'links.force_relink';
export const MAX_RELINK_REASON = 500;
/** Wallets per batch: each batch is one short transaction, so a bank with 100,000 links never holds one big one. */
export const RELINK_BATCH = 500;
/** A runner holds a re-link this long past its last batch; one that dies lets it lapse and another resumes. */
const LEASE_MS = 5 * 60 * 1000;

export interface RelinkView {
  id: string;
  /** null = every bank. */
  bankCode: string | null;
  reason: string;
  requestedBy: string;
  approvedBy: string;
  approvalId: string | null;
  status: 'running' | 'done';
  linksMoved: number;
  usersNotified: number;
  createdAt: string;
  completedAt?: string;
}

type Row = Selectable<DB['link_relinks']>;
type Audit = (
  trx: Transaction<DB>,
  e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
) => Promise<unknown>;

export interface RelinksDeps {
  db: Kysely<DB>;
  clock: Clock;
  newId: NewId;
  notifier: Notifier;
  settings: BankSettings;
  phoneOf: (userId: string) => Promise<string | undefined>;
  emailOf?: ((userId: string) => Promise<string | undefined>) | undefined;
  /** The audit chain (ops, wired by the composition root): a re-link's completion is recorded with it. */
  audit?: Audit | undefined;
  /** Where a background run's failure is reported (the run resumes on the next `resumeRelinks`). */
  onRunError?: ((relinkId: string, err: unknown) => void) | undefined;
}

/**
 * Forced re-links: an operator asks for every active link at a bank (or all banks) to be cut, a second operator
 * approves (ops approvals), and each link becomes `relink_required`: never usable for charges or withdrawals, the
 * wallet's balance untouched; the user links the account again through the linking flow under today's controls.
 *
 * The approval only records the re-link (`startRelink`, in the decision's transaction). The work runs after it
 * commits, in batches of RELINK_BATCH wallets in user-id order, each batch one transaction that also advances
 * `moved_through`; each wallet is then told once (SMS, else email) and `notified_through` advances past it. A run
 * that stops (crash, restart) resumes from those two marks (`resumeRelinks`, or `runRelink`): no wallet is cut
 * twice and at most the one wallet being told when it stopped hears twice. A lease keeps one runner at a time.
 * Links activated after their wallet's batch stay active: they were made under the current controls.
 */
export function createRelinks(deps: RelinksDeps) {
  const { db, clock } = deps;
  const runs = new Map<string, Promise<RelinkView>>();

  /** Checks an operator's request before it goes for approval: 404 unknown_bank, 400 reason_required. */
  async function checkRelinkRequest(
    target: string,
    rawReason: string,
  ): Promise<{ bankCode: string | null; reason: string }> {
    const bankCode = target === 'all' ? null : target;
    if (bankCode !== null && (!/^\d{4}$/.test(bankCode) || !(await deps.settings.settingsOf(bankCode))))
      throw new AppError('unknown_bank', `bank ${target} is not configured in Saifu`, { bankCode: target });
    const reason = rawReason.trim();
    if (!reason)
      throw new AppError('reason_required', 'say why every link must be re-linked (reason)', { field: 'reason' });
    if (reason.length > MAX_RELINK_REASON)
      throw new AppError('invalid_request', `the reason is at most ${MAX_RELINK_REASON} characters`, {
        field: 'reason',
      });
    return { bankCode, reason };
  }

  /** Records an approved re-link in the approval's transaction (`trx` only); run it after the commit. */
  async function startRelink(
    trx: Transaction<DB>,
    r: { approvalId: string; target: string; reason: string; requestedBy: string; approvedBy: string },
  ): Promise<RelinkView> {
    const bankCode = r.target === 'all' ? null : r.target;
    if (bankCode !== null && !(await deps.settings.settingsOf(bankCode, trx)))
      throw new AppError('unknown_bank', `bank ${bankCode} is not configured in Saifu`, { bankCode });
    const row = await trx
      .insertInto('link_relinks')
      .values({
        id: deps.newId('rln'),
        approval_id: r.approvalId,
        bank_code: bankCode,
        reason: r.reason.trim(),
        requested_by: r.requestedBy,
        approved_by: r.approvedBy,
        status: 'running',
        created_at: clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toView(row);
  }

  /** Runs a re-link to its end; a second call while this process runs it joins that run. */
  function runRelink(id: string, batch = RELINK_BATCH): Promise<RelinkView> {
    const running = runs.get(id);
    if (running) return running;
    const run = drive(id, batch).finally(() => runs.delete(id));
    runs.set(id, run);
    return run;
  }

  /** After the approval commits: runs in the background; a failure is reported and left for `resumeRelinks`. */
  function runInBackground(id: string): void {
    runRelink(id).catch((e: unknown) => deps.onRunError?.(id, e));
  }

  /** Every re-link left running (a restart, a failed batch): the periodic job's or an operator's call. */
  async function resumeRelinks(batch = RELINK_BATCH): Promise<RelinkView[]> {
    const open = await db
      .selectFrom('link_relinks')
      .select('id')
      .where('status', '=', 'running')
      .orderBy('id')
      .execute();
    const done: RelinkView[] = [];
    for (const { id } of open) done.push(await runRelink(id, batch));
    return done;
  }

  async function drive(id: string, batch: number): Promise<RelinkView> {
    const runner = deps.newId('rlr');
    for (;;) {
      const row = await takeLease(id, runner);
      if (!row) return getRelink(id);
      if (row.notified_through !== row.moved_through) {
        await notifyBatch(row, batch);
        continue;
      }
      const moved = await inTransaction(db, async (trx) => {
        const locked = await trx
          .selectFrom('link_relinks')
          .selectAll()
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (locked.status !== 'running' || locked.leased_by !== runner) return false;
        const cut = await repo.cutLinksForRelink(trx, {
          relinkId: id,
          bankCode: locked.bank_code,
          after: locked.moved_through,
          limit: batch,
        });
        const last = cut.userIds.at(-1);
        if (last === undefined) {
          await trx
            .updateTable('link_relinks')
            .set({ status: 'done', completed_at: clock.now(), lease_until: null, leased_by: null })
            .where('id', '=', id)
            .execute();
          await deps.audit?.(trx, {
            actor: 'system',
            action: 'links.force_relink.completed',
            target: id,
            details: {
              bankCode: locked.bank_code ?? 'all',
              linksMoved: locked.links_moved,
              usersNotified: locked.users_notified,
            },
          });
          return false;
        }
        await trx
          .updateTable('link_relinks')
          .set((eb) => ({ moved_through: last, links_moved: eb('links_moved', '+', cut.moved) }))
          .where('id', '=', id)
          .execute();
        return true;
      });
      if (!moved) return getRelink(id);
    }
  }

  /** Takes (or renews) the run's lease; undefined when it is done or another runner holds it. */
  async function takeLease(id: string, runner: string): Promise<Row | undefined> {
    const now = clock.now();
    return db
      .updateTable('link_relinks')
      .set({ lease_until: new Date(now.getTime() + LEASE_MS), leased_by: runner })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now), eb('leased_by', '=', runner)]))
      .returningAll()
      .executeTakeFirst();
  }

  /** Tells the wallets of the next batch already cut, once each, and moves `notified_through` past each one. */
  async function notifyBatch(row: Row, batch: number): Promise<void> {
    const links = await repo.linksCutByRelink(db, {
      relinkId: row.id,
      after: row.notified_through,
      through: row.moved_through,
      limit: batch,
    });
    const byUser = new Map<string, Array<{ bankCode: string; accountNumber: string }>>();
    for (const l of links) byUser.set(l.userId, [...(byUser.get(l.userId) ?? []), l]);
    for (const [userId, cut] of byUser) {
      await tell(userId, cut, row.reason);
      await db
        .updateTable('link_relinks')
        .set((eb) => ({ notified_through: userId, users_notified: eb('users_notified', '+', 1) }))
        .where('id', '=', row.id)
        .where('notified_through', '<', userId)
        .execute();
    }
    // Wallets cut whose links were since unlinked still count as told (nothing left to tell them about).
    if (byUser.size === 0)
      await db
        .updateTable('link_relinks')
        .set({ notified_through: row.moved_through })
        .where('id', '=', row.id)
        .execute();
  }

  async function tell(userId: string, cut: Array<{ bankCode: string; accountNumber: string }>, reason: string) {
    const accounts = cut.map((l) => `bank ${l.bankCode} …${l.accountNumber.slice(-4)}`).join(', ');
    const body = `Saifu: please link your bank account again (${accounts}). Reason: ${reason}. Your wallet balance is unchanged; charges and withdrawals through the old link stop until you link again in the app.`;
    const phone = await deps.phoneOf(userId);
    if (phone) return deps.notifier.send({ to: phone, channel: 'sms', body });
    const email = await deps.emailOf?.(userId);
    if (email) await deps.notifier.send({ to: email, channel: 'email', body });
  }

  async function getRelink(id: string): Promise<RelinkView> {
    const row = await db.selectFrom('link_relinks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('not_found', `no re-link ${id}`);
    return toView(row);
  }

  async function listRelinks(limit: number, startingAfter?: string): Promise<{ data: RelinkView[]; hasMore: boolean }> {
    let q = db
      .selectFrom('link_relinks')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (startingAfter) q = q.where('id', '<', startingAfter);
    const rows = await q.execute();
    return { data: rows.slice(0, limit).map(toView), hasMore: rows.length > limit };
  }

  return { checkRelinkRequest, startRelink, runRelink, runInBackground, resumeRelinks, getRelink, listRelinks };
}
export type Relinks = ReturnType<typeof createRelinks>;

function toView(r: Row): RelinkView {
  return {
    id: r.id,
    bankCode: r.bank_code,
    reason: r.reason,
    requestedBy: r.requested_by,
    approvedBy: r.approved_by,
    approvalId: r.approval_id,
    status: r.status,
    linksMoved: Number(r.links_moved),
    usersNotified: Number(r.users_notified),
    createdAt: new Date(r.created_at).toISOString(),
    ...(r.completed_at ? { completedAt: new Date(r.completed_at).toISOString() } : {}),
  };
}
