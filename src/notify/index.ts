/**
 * notify: how Saifu tells people things (SMS, email, bank notices). Areas depend on the Notifier port only;
 * the sandbox mailbox implements it in development and tests, production channel adapters would too.
 */
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

/** Phone numbers are stored and matched in one form: 090… and +8190… are the same number. */
export function normalizePhone(raw: string): string {
  const digits = raw.replace(/[\s\-()]/g, '');
  if (/^\+81\d{9,10}$/.test(digits)) return `0${digits.slice(3)}`;
  if (/^81\d{9,10}$/.test(digits)) return `0${digits.slice(2)}`;
  return digits;
}

export const isJapanesePhone = (normalized: string): boolean => /^0\d{9,10}$/.test(normalized);
