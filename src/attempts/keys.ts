import { createHash } from 'node:crypto';

/**
 * A counter key: the scope in clear (so rows can be read by kind) and the counted value hashed, so emails,
 * phone numbers and addresses typed by strangers are not stored as given.
 */
export function counterKey(scope: string, ...parts: readonly string[]): string {
  return `${scope}:${createHash('sha256').update(parts.join('\u0001')).digest('hex').slice(0, 40)}`;
}

/** SMS codes sent to one phone number (sign-up, phone change, step-up): 5 an hour, whatever asks for them. */
export const smsSendBudget = (phone: string) => ({
  key: counterKey('sms-send', phone),
  max: 5,
  windowMs: 60 * 60 * 1000,
  onSuccess: 'keep' as const,
});
