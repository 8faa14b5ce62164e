/**
 * notify: how Saifu tells people things (SMS, email, bank notices, webhooks), and in which words (templates.ts,
 * Japanese and English). Two ports, both implemented elsewhere and wired by the composition root:
 * - `NoticeQueue` (src/outbox): a notice is written in the caller's transaction and sent later by the dispatcher,
 *   with retries; use it for everything that announces an event (a charge, a link, a sign-in, a freeze).
 * - `Notifier` (the sandbox mailbox, or a provider): sends at once. Only for one-time codes (SMS codes, bank
 *   OTPs): they expire in minutes, so a retry minutes later is useless, and a queued code would sit in clear in
 *   the outbox table and the operators' outbox view; a code is sent once, straight away, and never stored.
 * Never: put a code, a PIN or a password in a notice's data.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/index.ts';

export { renderNotice, NOTICE_TEMPLATES, type Locale, type NoticeTemplate, type Rendered } from './templates.ts';
export interface Message {
  to: string;
  channel: 'sms' | 'email' | 'bank_notice';
  body: string;
  /** A one-time code the message carries, so the sandbox mailbox can show it on its own. */
  code?: string;
}

export interface Notifier {
  send(message: Message): Promise<void>;
}

export type NoticeChannel = 'email' | 'sms' | 'bank_notice' | 'webhook';

/** A message to send later, through the outbox. */
export interface Notice {
  channel: NoticeChannel;
  /** An email address, a phone number or a webhook endpoint id (whe_…); or a user, whose email or phone it goes to. */
  to: string | { userId: string };
  /** A template name (templates.ts); for webhooks the event type (`payment.succeeded`…). */
  template: string;
  /** Default: the user's locale, else 'ja'. */
  locale?: 'ja' | 'en';
  /** The template's values (JSON). Never a one-time code, a PIN or a password. */
  data: Record<string, unknown>;
  /** A second enqueue with the same key writes nothing (an event announced once, however often its code runs). */
  idempotencyKey?: string;
}

/** The outbox as areas see it (implemented by src/outbox). */
export interface NoticeQueue {
  /**
   * Writes the notice with `q`: pass the caller's transaction when the event has one, so the notice exists exactly
   * when the event committed. Returns the notice's id (its delivery id), or undefined when nothing was written (the
   * idempotency key was seen, or the user has no address on that channel).
   */
  enqueue(q: Kysely<DB>, notice: Notice): Promise<string | undefined>;
}

/** Phone numbers are stored and matched in one form: 090… and +8190… are the same number. */
export function normalizePhone(raw: string): string {
  const digits = raw.replace(/[\s\-()]/g, '');
  if (/^\+81\d{9,10}$/.test(digits)) return `0${digits.slice(3)}`;
  if (/^81\d{9,10}$/.test(digits)) return `0${digits.slice(2)}`;
  return digits;
}

export const isJapanesePhone = (normalized: string): boolean => /^0\d{9,10}$/.test(normalized);
