import type { Kysely } from 'kysely';
import type { DB, Transaction } from '../db/index.ts';
import type { Message } from '../notify/index.ts';
import { type EmailAdapter, type Log, type SmsAdapter, loggingSms, mailboxOnlyEmail } from './channels.ts';
import type { RetryPolicy } from './dispatcher.ts';
import { type Outbox, createOutbox } from './service.ts';
import type { Fetch, SecretSealer } from './webhooks.ts';
import type { Clock, NewId } from '../platform/index.ts';

/** What a deployment chooses (main.ts from config; tests as they need). */
export interface OutboxOptions {
  /** SMTP (smtpEmail); absent = email is kept in the sandbox mailbox only. */
  email?: EmailAdapter;
  /** An SMS provider; absent = the logging adapter. */
  sms?: SmsAdapter;
  /** Write every email, SMS and bank notice to the sandbox mailbox as it is enqueued (default true; development). */
  mirrorToMailbox?: boolean;
  /** Where the dispatcher and the logging adapters write (default: nowhere). */
  log?: Log;
  fetch?: Fetch;
  retry?: RetryPolicy;
  leaseMs?: number;
}

/** The outbox as the composition root wires it: adapters chosen from the options, the mailbox mirror in development. */
export function wireOutbox(
  o: OutboxOptions,
  d: {
    db: Kysely<DB>;
    clock: Clock;
    newId: NewId;
    random: () => number;
    box: SecretSealer;
    mailbox: { record(q: Kysely<DB>, m: Message): Promise<void> };
    audit: (
      trx: Transaction<DB>,
      e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
    ) => Promise<unknown>;
  },
): Outbox {
  const log: Log = o.log ?? (() => {});
  const mirror = o.mirrorToMailbox ?? true;
  return createOutbox({
    ...d,
    // A read of the two contact columns: identity owns users (and would add the user's locale here).
    contactOf: (q, userId) =>
      q.selectFrom('users').select(['email', 'phone']).where('id', '=', userId).executeTakeFirst(),
    channels: {
      email:
        o.email ??
        (mirror
          ? mailboxOnlyEmail(log)
          : { send: (m) => d.mailbox.record(d.db, { to: m.to, channel: 'email', body: `${m.subject}\n\n${m.text}` }) }),
      sms: o.sms ?? loggingSms(log),
      bankNotice: loggingSms(log),
    },
    ...(mirror ? { mirror: (q: Kysely<DB>, m: Message) => d.mailbox.record(q, m) } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.retry ? { retry: o.retry } : {}),
    ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}),
    log,
  });
}
