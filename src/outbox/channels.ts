import type { Notifier } from '../notify/index.ts';

/**
 * Channel adapters: each one sends one message and passes the delivery id (the outbox row id) on, so a receiver
 * can drop a second copy of a message after a dispatcher crashed between sending and marking it sent. An adapter
 * throws to report a failure (retried with back-off), or a PermanentDeliveryError for one no retry can fix.
 */
export interface EmailAdapter {
  send(m: { deliveryId: string; to: string; subject: string; text: string }): Promise<void>;
}
export interface SmsAdapter {
  send(m: { deliveryId: string; to: string; text: string }): Promise<void>;
}
/** Bank notices to account holders (the bank sends them; today the BankGateway does so synchronously). */
export type BankNoticeAdapter = SmsAdapter;

/** The message can never be delivered (no such template, endpoint disabled): the row goes dead at once. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

/** A failed HTTP answer (a webhook's non-2xx), kept in the delivery log with its status. */
export class DeliveryHttpError extends Error {
  override readonly name = 'DeliveryHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Log = (message: string, details: Record<string, unknown>) => void;

/** Masks a phone number or email to what a log may keep: the last 4 digits, or the domain. */
export function maskRecipient(to: string): string {
  if (to.includes('@')) return `***@${to.split('@')[1] ?? ''}`;
  return `***${to.slice(-4)}`;
}

/** SMS until a provider is contracted: the message is logged (masked recipient, no body) and counts as sent. */
export function loggingSms(log: Log): SmsAdapter {
  return {
    async send(m) {
      log('sms sent (logging adapter: no SMS provider configured)', {
        deliveryId: m.deliveryId,
        to: maskRecipient(m.to),
        length: m.text.length,
      });
    },
  };
}

/**
 * Email without SMTP (development, or a staging deployment without SAIFU_SMTP_URL): the message is already in
 * the sandbox mailbox (the outbox writes it there when it is enqueued), so sending is only noted.
 */
export function mailboxOnlyEmail(log: Log): EmailAdapter {
  return {
    async send(m) {
      log('email kept in the sandbox mailbox (no SAIFU_SMTP_URL)', {
        deliveryId: m.deliveryId,
        to: maskRecipient(m.to),
      });
    },
  };
}

/** Delivers through a Notifier (e.g. the sandbox mailbox) on one channel: for setups that do not mirror at enqueue. */
export function notifierChannel(notifier: Notifier, channel: 'sms' | 'email' | 'bank_notice'): SmsAdapter {
  return {
    send: (m) => notifier.send({ to: m.to, channel, body: m.text }),
  };
}
