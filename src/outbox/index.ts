/**
 * outbox: the transactional outbox and its dispatcher. Owns outbox, outbox_deliveries and webhook_endpoints.
 *
 * How other areas use it (they see only `NoticeQueue` from src/notify, passed in their deps):
 *   await notices.enqueue(trx, { channel: 'email', to: { userId }, template: 'charge_succeeded',
 *                                data: { amount, chargeId }, idempotencyKey: `charge:${id}` });
 * in the transaction of the event it announces (where there is none, right after it, with `db`).
 *
 * Webhooks to merchants and banks (for the merchant-onboarding flow and the banks), through the composition root:
 *   const endpoint = await outbox.webhooks.registerEndpoint({ owner: merchantId, url, secret });  // secret sealed
 *   await outbox.emitWebhook(trx, { owner: merchantId, type: 'payment.succeeded', data, idempotencyKey: paymentId });
 *   outbox.webhooks.endpointsOf(owner), outbox.webhooks.disableEndpoint(id)
 * Each request carries `Saifu-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`,
 * `Saifu-Delivery-Id` (the outbox id: receivers drop a repeat) and `Saifu-Event`; receivers check it with
 * `verifyWebhookSignature(secret, header, rawBody, now)` (5-minute replay window; docs/api.md has the recipe).
 *
 * Invariants: a notice exists iff its event committed (same transaction); the delivery id is the row id and never
 * changes across retries, crashes or operators' re-sends; dispatchers claim with FOR UPDATE SKIP LOCKED and a lease,
 * so several nodes may run `dispatch()` at once and a dispatcher that dies mid-send only delays its rows (they are
 * sent again, with the same id: delivery is at least once, receivers make it exactly once); every attempt is logged
 * (status, error, HTTP status, duration); a failure is retried with exponential back-off and jitter, dead after
 * MAX_ATTEMPTS; an operator's re-send is audited.
 * Never: store a one-time code (SMS codes and bank OTPs go straight through the Notifier: they expire in minutes and
 * must not sit in clear in a table operators read); call a channel inside a database transaction; import Fastify.
 */
export {
  createOutbox,
  type Outbox,
  type OutboxDeps,
  type OutboxMessage,
  type DeliveryAttempt,
  type Contact,
} from './service.ts';
export {
  retryDelayMs,
  DEFAULT_RETRY,
  MAX_ATTEMPTS,
  type DispatchReport,
  type RetryPolicy,
  type Channels,
} from './dispatcher.ts';
export {
  type EmailAdapter,
  type SmsAdapter,
  type BankNoticeAdapter,
  PermanentDeliveryError,
  loggingSms,
  mailboxOnlyEmail,
  notifierChannel,
  maskRecipient,
} from './channels.ts';
export { smtpEmail } from './smtp.ts';
export {
  verifyWebhookSignature,
  signWebhook,
  SIGNATURE_HEADER,
  DELIVERY_ID_HEADER,
  EVENT_HEADER,
  REPLAY_WINDOW_SECONDS,
  type WebhookEndpoint,
  type Fetch,
} from './webhooks.ts';
export { wireOutbox, type OutboxOptions } from './wiring.ts';
