import { type Kysely, type Transaction, sql } from 'kysely';
import type { DB } from '../db/index.ts';
import type { RiskEvent } from './vocabulary.ts';

export const LIST_NAMES = ['block', 'allow', 'watch'] as const;
export type ListName = (typeof LIST_NAMES)[number];
export const LIST_KINDS = ['email', 'phone', 'device', 'ip', 'bank_account', 'merchant', 'recipient', 'user'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

type Q = Kysely<DB> | Transaction<DB>;

export interface ListEntry {
  id: string;
  list: ListName;
  kind: ListKind;
  value: string;
  reason: string;
  expiresAt: string | null;
  createdBy: string;
  createdAt: string;
}

/** Emails and account numbers are compared as written by people: trimmed, case-folded. */
export const normaliseListValue = (kind: ListKind, value: string): string => {
  const v = value.trim();
  return kind === 'email' ? v.toLowerCase() : v;
};

/** The values of an event each list kind is checked against. */
export function listKeysOf(e: RiskEvent): Array<[ListKind, string]> {
  const keys: Array<[ListKind, string]> = [
    ['user', e.userId],
    ['device', e.deviceId],
    ['ip', e.ip],
    ['email', normaliseListValue('email', e.email)],
    ['phone', e.phone],
    ['bank_account', e.bankAccount],
  ];
  if (e.recipientId) keys.push([e.recipientKind === 'merchant' ? 'merchant' : 'recipient', e.recipientId]);
  return keys.filter(([, v]) => v !== '');
}

/**
 * The live entries of every list held in memory (refreshed with the rule set, and at once by this process's own
 * changes): a decision looks them up without a database round trip.
 */
export function createListIndex() {
  let entries = new Map<string, number>();
  const key = (list: ListName, kind: ListKind, value: string) => `${list}\u0000${kind}\u0000${value}`;
  return {
    replace(rows: ReadonlyArray<{ list: ListName; kind: ListKind; value: string; expiresAt: string | null }>) {
      const next = new Map<string, number>();
      for (const r of rows)
        next.set(
          key(r.list, r.kind, r.value),
          r.expiresAt ? new Date(r.expiresAt).getTime() : Number.POSITIVE_INFINITY,
        );
      entries = next;
    },
    add(list: ListName, kind: ListKind, value: string, expiresAt: string | null) {
      entries.set(key(list, kind, value), expiresAt ? new Date(expiresAt).getTime() : Number.POSITIVE_INFINITY);
    },
    remove(list: ListName, kind: ListKind, value: string) {
      entries.delete(key(list, kind, value));
    },
    /** Whether any of the event's values is on `list` at `now`. */
    matches(list: ListName, e: RiskEvent, now: Date): boolean {
      if (entries.size === 0) return false;
      const ms = now.getTime();
      for (const [kind, value] of listKeysOf(e)) {
        // A watched bank account (one hop from a holder's report) is about who links to it next: the holder's own
        // link, which the report left alone, keeps charging unreviewed. Blocked accounts match every event.
        if (list === 'watch' && kind === 'bank_account' && e.type !== 'link') continue;
        const until = entries.get(key(list, kind, value));
        if (until !== undefined && until > ms) return true;
      }
      return false;
    },
    get size() {
      return entries.size;
    },
  };
}
export type ListIndex = ReturnType<typeof createListIndex>;

const toEntry = (r: {
  id: string;
  list: ListName;
  kind: ListKind;
  value: string;
  reason: string;
  expires_at: Date | string | null;
  created_by: string;
  created_at: Date | string;
}): ListEntry => ({
  id: r.id,
  list: r.list,
  kind: r.kind,
  value: r.value,
  reason: r.reason,
  expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
});

const ENTRY_COLUMNS = ['id', 'list', 'kind', 'value', 'reason', 'expires_at', 'created_by', 'created_at'] as const;

/** Every live entry (not removed, not expired at `now`). */
export async function liveEntries(q: Q, now: Date): Promise<ListEntry[]> {
  const rows = await q
    .selectFrom('risk_lists')
    .select(ENTRY_COLUMNS)
    .where('removed_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .execute();
  return rows.map(toEntry);
}

/** One page of live entries, newest first; `after` is the last id of the previous page. */
export async function pageEntries(
  q: Q,
  f: { list?: ListName; kind?: ListKind; value?: string; after?: string; limit: number },
  now: Date,
): Promise<ListEntry[]> {
  let s = q
    .selectFrom('risk_lists')
    .select(ENTRY_COLUMNS)
    .where('removed_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  if (f.list) s = s.where('list', '=', f.list);
  if (f.kind) s = s.where('kind', '=', f.kind);
  if (f.value) s = s.where('value', '=', f.value);
  if (f.after) s = s.where('id', '<', f.after);
  return (await s.orderBy('id', 'desc').limit(f.limit).execute()).map(toEntry);
}

/**
 * Adds an entry, or extends the live one for the same list, kind and value (the later expiry wins, the reason is
 * the newest). Returns the entry as stored.
 */
export async function upsertEntry(
  trx: Transaction<DB>,
  e: {
    id: string;
    list: ListName;
    kind: ListKind;
    value: string;
    reason: string;
    expiresAt: Date | null;
    by: string;
    at: Date;
  },
): Promise<ListEntry> {
  // An expired entry still holds the unique slot until it is removed: retire it first.
  await trx
    .updateTable('risk_lists')
    .set({ removed_at: e.at, removed_by: 'expired' })
    .where('list', '=', e.list)
    .where('kind', '=', e.kind)
    .where('value', '=', e.value)
    .where('removed_at', 'is', null)
    .where('expires_at', '<=', e.at)
    .execute();
  const row = await trx
    .insertInto('risk_lists')
    .values({
      id: e.id,
      list: e.list,
      kind: e.kind,
      value: e.value,
      reason: e.reason,
      expires_at: e.expiresAt,
      created_by: e.by,
      created_at: e.at,
    })
    .onConflict((oc) =>
      oc
        .columns(['list', 'kind', 'value'])
        .where('removed_at', 'is', null)
        .doUpdateSet((eb) => ({
          reason: eb.ref('excluded.reason'),
          expires_at: eb
            .case()
            .when(eb.or([eb('risk_lists.expires_at', 'is', null), eb('excluded.expires_at', 'is', null)]))
            .then(null)
            .else(sqlGreatest(eb))
            .end(),
        })),
    )
    .returning(ENTRY_COLUMNS)
    .executeTakeFirstOrThrow();
  return toEntry(row);
}

/** GREATEST(current, new): a re-added entry keeps the later expiry. */
const sqlGreatest = (_eb: unknown) => sql<Date>`GREATEST(risk_lists.expires_at, excluded.expires_at)`;

/** Removes a live entry; undefined if there is none. */
export async function removeEntry(
  trx: Transaction<DB>,
  id: string,
  by: string,
  at: Date,
): Promise<ListEntry | undefined> {
  const row = await trx
    .updateTable('risk_lists')
    .set({ removed_at: at, removed_by: by })
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .returning(ENTRY_COLUMNS)
    .executeTakeFirst();
  return row ? toEntry(row) : undefined;
}
