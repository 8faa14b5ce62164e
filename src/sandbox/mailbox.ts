import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';
import { type Message, type Notifier, normalizePhone } from '../notify/index.ts';
import type { Clock, NewId } from '../platform/index.ts';

export interface MailboxMessage {
  id: string;
  to: string;
  channel: Message['channel'];
  body: string;
  code?: string;
  createdAt: string;
}

/** The development mailbox: every SMS, email and bank notice is stored so a person (or a test) can read it. */
export function createSandboxMailbox(deps: { db: Kysely<DB>; clock: Clock; newId: NewId }) {
  const recipientKey = (to: string): string => (to.includes('@') ? to.trim().toLowerCase() : normalizePhone(to));

  /** Stores a message with `q`: the outbox mirrors notices here in the transaction that enqueues them. */
  async function record(q: Kysely<DB>, m: Message): Promise<void> {
    await q
      .insertInto('sandbox_messages')
      .values({
        id: deps.newId('msg'),
        recipient: recipientKey(m.to),
        channel: m.channel,
        body: m.body,
        code: m.code ?? null,
        created_at: deps.clock.now(),
      })
      .execute();
  }

  const notifier: Notifier = { send: (m) => record(deps.db, m) };

  async function messagesTo(to: string): Promise<MailboxMessage[]> {
    const rows = await deps.db
      .selectFrom('sandbox_messages')
      .selectAll()
      .where('recipient', '=', recipientKey(to))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      to: r.recipient,
      channel: r.channel,
      body: r.body,
      ...(r.code ? { code: r.code } : {}),
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  return { notifier, record, messagesTo };
}
