import type { Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import { type ListEntry, type ListKind, type ListName, eventsAfter, labelEvents } from '../risk/index.ts';
import type { FraudLabel } from './types.ts';

const DAY_MS = 86_400_000;
/** How far back a fraud wallet's stored events are read for devices, IPs and payees. */
export const SPREAD_LOOKBACK_MS = 30 * DAY_MS;
/** How long a spread watch entry lasts. */
export const WATCH_FOR_MS = 90 * DAY_MS;
/** Bounds on one spread (it runs inside the case's transaction): events read per wallet, entries written. */
const MAX_EVENTS_PER_WALLET = 1_000;
const MAX_ENTRIES = 100;

/**
 * Loopback, private and link-local addresses name no network of the fraudster's: they are a proxy in front of the
 * service (when the client address is not forwarded) or a test harness, and watching one would hold everyone.
 */
const LOCAL_ADDRESS =
  /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|::1$|::ffff:(127|10)\.|f[cd][0-9a-f]{2}:|fe80:)/i;
export const isLocalAddress = (ip: string): boolean => LOCAL_ADDRESS.test(ip);

/** risk's list writer, in the caller's transaction (audited by risk, in force in this process at once). */
export type AddToList = (
  actor: string,
  e: { list: ListName; kind: ListKind; value: string; reason: string; expiresAt?: Date | null },
  trx: Transaction<DB>,
) => Promise<ListEntry>;

/**
 * Labels what a case is about, for back-tests: `fraud` labels every stored event of its wallets (or, without
 * wallets, of its objects); `not_fraud` only its objects' events (the wallet's other events say nothing yet).
 */
export async function labelCase(
  trx: Transaction<DB>,
  target: { userIds: string[]; objectIds: string[] },
  label: FraudLabel,
  by: string,
  at: Date,
): Promise<number> {
  let n = 0;
  if (label === 'fraud' && target.userIds.length > 0)
    for (const userId of target.userIds) n += await labelEvents(trx, { userId }, label, by, at);
  else for (const objectId of target.objectIds) n += await labelEvents(trx, { objectId }, label, by, at);
  return n;
}

/**
 * One hop from fraud: the fraud wallets, their bank account(s), and the devices, IPs (public ones) and payees (people,
 * not merchants: every customer of a shop would be one hop away) in their stored events of the last 30 days go on the
 * watch list for 90 days, in the caller's transaction. The risk signal `watchlisted` then raises the score of
 * every event that shares one of them (the default pack's `near_fraud` holds it for review).
 */
export async function spreadFraud(
  addToList: AddToList,
  trx: Transaction<DB>,
  o: { caseId: string; actor: string; userIds: string[]; bankAccounts: string[]; now: Date },
): Promise<ListEntry[]> {
  const keys = new Map<string, [ListKind, string]>();
  const add = (kind: ListKind, value: string) => {
    if (value) keys.set(`${kind}\u0000${value}`, [kind, value]);
  };
  for (const userId of o.userIds) add('user', userId);
  for (const account of o.bankAccounts) add('bank_account', account);
  const from = new Date(o.now.getTime() - SPREAD_LOOKBACK_MS);
  for (const userId of o.userIds) {
    const events = await eventsAfter(trx, { afterSeq: 0, limit: MAX_EVENTS_PER_WALLET, userId, from });
    for (const { event } of events) {
      add('device', event.deviceId);
      if (!isLocalAddress(event.ip)) add('ip', event.ip);
      if (event.recipientKind !== 'merchant') add('recipient', event.recipientId);
    }
  }
  const expiresAt = new Date(o.now.getTime() + WATCH_FOR_MS);
  const reason = `one hop from fraud (case ${o.caseId})`;
  const entries: ListEntry[] = [];
  for (const [kind, value] of [...keys.values()].slice(0, MAX_ENTRIES))
    entries.push(await addToList(o.actor, { list: 'watch', kind, value, reason, expiresAt }, trx));
  return entries;
}
