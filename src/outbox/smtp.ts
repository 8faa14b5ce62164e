import nodemailer from 'nodemailer';
import type { EmailAdapter } from './channels.ts';

/**
 * Email over SMTP (SAIFU_SMTP_URL, e.g. smtps://user:pass@smtp.example.jp:465). The outbox row id becomes the
 * Message-ID, so a mail system or a person can tell a re-sent copy (after a crash between sending and marking)
 * from a new message. Timeouts stay well inside the dispatcher's lease.
 */
export function smtpEmail(o: { url: string; from: string; domain: string }): EmailAdapter & { close(): void } {
  const u = new URL(o.url);
  const secure = u.protocol === 'smtps:';
  const transport = nodemailer.createTransport({
    host: u.hostname,
    port: Number(u.port) || (secure ? 465 : 587),
    secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(m) {
      await transport.sendMail({
        from: o.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId: `<${m.deliveryId}@${o.domain}>`,
        headers: { 'Saifu-Delivery-Id': m.deliveryId },
      });
    },
    close: () => transport.close(),
  };
}
