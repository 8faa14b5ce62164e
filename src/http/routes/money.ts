import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { inputAmount as toAmount } from '../schemas.ts';
import { AppError } from '../../platform/index.ts';
import type { Services } from '../../services.ts';
import { authHandlers } from '../auth.ts';
import type { IdempotentRoute, idempotency } from '../idempotency.ts';
import * as S from '../schemas.ts';
import { WithdrawalAccount } from './bank-links.ts';
import { Factor } from './identity.ts';
import type { SecondFactor, SessionUser } from '../../identity/index.ts';

type Idem = ReturnType<typeof idempotency>;

const actorOf = (req: { user?: import('../../identity/index.ts').User }) => {
  if (!req.user) throw new AppError('unauthorized', 'not signed in');
  return req.user;
};

/** The actor with where the request came from (`X-Device-Id`, the client's IP): the risk engine's signals. */
const sourced = (req: FastifyRequest & { user?: import('../../identity/index.ts').User }) => {
  const device = req.headers['x-device-id'];
  return {
    ...actorOf(req),
    source: { ip: req.ip, ...(typeof device === 'string' && device ? { deviceId: device.slice(0, 128) } : {}) },
  };
};

/**
 * Completes a `requires_action` object: the factor is checked by the step-up (attempts counted per user, so wrong
 * factors count toward the lockout), then the wallet re-checks every rule of the object's creation.
 */
async function withFactor<T>(
  s: Services,
  req: { user?: import('../../identity/index.ts').User; body: unknown },
  complete: (actor: SessionUser) => Promise<T>,
): Promise<T> {
  const user = actorOf(req) as SessionUser;
  const { elevatedUntil } = await s.mfa.stepUp(user, user.session.id, req.body as SecondFactor);
  return complete({ ...user, session: { ...user.session, elevatedUntil } });
}

/** Whether the idempotency layer already answered (with the reply) instead of the use case's object. */
const isReply = (x: unknown, reply: FastifyReply): boolean => x === reply;

/** A 503 tells when to retry (the bank's circuit, http/idempotency keeps no answer for it). */
async function retryAfter(_req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode !== 503 || reply.getHeader('retry-after') !== undefined || typeof payload !== 'string')
    return payload;
  try {
    const seconds = (JSON.parse(payload) as { error?: { details?: { retryAfterSeconds?: unknown } } }).error?.details
      ?.retryAfterSeconds;
    if (typeof seconds === 'number') void reply.header('retry-after', String(seconds));
  } catch {
    // Not JSON: nothing to read a delay from.
  }
  return payload;
}

/**
 * Money routes: every POST that moves money carries an Idempotency-Key, written with the object (or the money)
 * in the use case's own transaction; a retry is answered from the stored answer or from the object.
 */
export function moneyRoutes(s: Services, idem: Idem): FastifyPluginAsyncZod {
  const auth = authHandlers(s);
  const user = (req: FastifyRequest) => actorOf(req);
  const routes = {
    charge: {
      status: 201,
      load: (req, id) => s.wallet.charges.getCharge(user(req).id, id),
      resume: (req, id) => s.wallet.charges.resumeCharge(user(req), id),
    },
    chargeConfirm: {
      status: 200,
      load: (req, id) => s.wallet.charges.getCharge(user(req).id, id),
      resume: (req, id) => s.wallet.charges.resumeCharge(user(req), id),
    },
    paymentConfirm: {
      status: 200,
      load: (req, id) => s.wallet.payments.getPayment({ userId: user(req).id }, id),
    },
    transfer: { status: 201, load: (req, id) => s.wallet.transfers.getTransfer(user(req).id, id) },
    transferConfirm: { status: 200, load: (req, id) => s.wallet.transfers.getTransfer(user(req).id, id) },
    withdrawal: {
      status: 201,
      load: (req, id) => s.wallet.withdrawals.getWithdrawal(user(req).id, id),
      resume: (req, id) => s.wallet.withdrawals.resumeWithdrawal(user(req), id),
    },
    withdrawalConfirm: {
      status: 200,
      load: (req, id) => s.wallet.withdrawals.getWithdrawal(user(req).id, id),
      resume: (req, id) => s.wallet.withdrawals.resumeWithdrawal(user(req), id),
    },
    refund: { status: 201, load: (req, id) => s.wallet.payments.getRefund(req.merchant?.id ?? '', id) },
  } satisfies Record<string, IdempotentRoute>;
  const money = (route: IdempotentRoute) => ({
    preValidation: auth.requireUser,
    preHandler: idem.guard(route),
    onSend: [idem.record, retryAfter],
  });
  return async (app) => {
    app.post('/v1/charges', {
      ...money(routes.charge),
      schema: {
        tags: ['money'],
        summary: 'Charge the wallet from a linked bank account (direct debit)',
        description:
          'Holds the amount against every limit (per charge, Asia/Tokyo month, cooling-off day, balance cap; held charges count), debits the bank, then credits the wallet. `pending` while the bank has not answered; `failed` with `failureCode` when the bank declined.',
        headers: S.IdempotencyHeaders,
        body: z.object({ bankLinkId: S.Id('lnk'), amount: S.Amount }),
        response: { 201: S.Charge, ...S.errors(400, 401, 403, 404, 409, 422, 429, 503) },
      },
      handler: async (req, reply) => {
        const charge = await idem.run(req, reply, routes.charge, (write) =>
          s.wallet.charges.createCharge(
            sourced(req),
            { bankLinkId: req.body.bankLinkId, amount: toAmount(req.body.amount) },
            write,
          ),
        );
        return isReply(charge, reply) ? reply : reply.code(201).send(charge);
      },
    });

    app.post('/v1/charges/:id/confirm', {
      ...money(routes.chargeConfirm),
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['money'],
        summary: 'Complete a requires_action charge with a second factor ({otp}, {smsCode} or {passkey})',
        headers: S.IdempotencyHeaders,
        params: z.object({ id: z.string() }),
        body: Factor,
        response: { 200: S.Charge, ...S.errors(400, 401, 403, 404, 409, 422, 429, 503) },
      },
      handler: async (req, reply) =>
        idem.run(req, reply, routes.chargeConfirm, (write) =>
          withFactor(s, req, (actor) => s.wallet.charges.confirmCharge(actor, req.params.id, write)),
        ),
    });

    app.get('/v1/charges/:id', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['money'],
        summary: 'A charge',
        params: z.object({ id: z.string() }),
        response: { 200: S.Charge, ...S.errors(401, 404) },
      },
      handler: async (req) => s.wallet.charges.getCharge(actorOf(req).id, req.params.id),
    });

    app.post('/v1/payments', {
      preValidation: auth.requireUser,
      preHandler: idem.inline,
      onSend: idem.record,
      schema: {
        tags: ['money'],
        summary: 'Pay a merchant from the wallet: an amount, or a payment request by id (paid once)',
        description:
          '`{paymentRequestId}` pays a merchant\u2019s payment request (its amount and reference): 409 `payment_request_paid`, `payment_request_expired` or `payment_request_cancelled` when it cannot be paid, and nothing moves. 403 `merchant_suspended` for a suspended merchant.',
        headers: S.IdempotencyHeaders,
        // One object rather than a union, so that a bad amount is still reported at `amount` (400 invalid_amount).
        body: z
          .object({
            merchantId: S.Id('mer').optional(),
            amount: S.Amount.optional(),
            description: z.string().max(500).optional(),
            reference: z.string().max(255).optional(),
            paymentRequestId: S.Id('prq').optional(),
          })
          .superRefine((b, ctx) => {
            const direct = [b.merchantId, b.amount, b.description, b.reference].some((v) => v !== undefined);
            if (b.paymentRequestId !== undefined) {
              if (direct) ctx.addIssue({ code: 'custom', path: ['paymentRequestId'], message: 'send it alone' });
              return;
            }
            if (b.merchantId === undefined) ctx.addIssue({ code: 'custom', path: ['merchantId'], message: 'required' });
            if (b.amount === undefined) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'required' });
          }),
        response: { 201: S.Payment, ...S.errors(400, 401, 403, 404, 409, 422) },
      },
      handler: async (req, reply) => {
        let body = '';
        // The stored answer is byte for byte what is sent: the body is serialised once, here.
        const write = (payment: z.infer<typeof S.Payment>) => {
          body = JSON.stringify(payment);
          return [idem.doneRecord(req, 201, body)];
        };
        try {
          const { merchantId, amount, description, reference, paymentRequestId } = req.body;
          if (paymentRequestId) await s.merchants.requests.pay(sourced(req), paymentRequestId, write);
          else if (merchantId && amount) {
            await s.merchants.assertMayReceive(merchantId);
            const input = {
              merchantId,
              amount: toAmount(amount),
              ...(description ? { description } : {}),
              ...(reference ? { reference } : {}),
            };
            await s.wallet.payments.createPayment(sourced(req), input, write);
          }
        } catch (e) {
          if (await idem.answerIfUsed(req, reply)) return reply;
          throw idem.keyConflict(e);
        }
        // Already serialised: the custom serializer passes the stored string through unchanged.
        return reply
          .code(201)
          .type('application/json; charset=utf-8')
          .serializer((x) => x as string)
          .send(body as unknown as z.infer<typeof S.Payment>);
      },
    });

    app.post('/v1/payments/:id/confirm', {
      ...money(routes.paymentConfirm),
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['money'],
        summary: 'Complete a requires_action payment with a second factor ({otp}, {smsCode} or {passkey})',
        headers: S.IdempotencyHeaders,
        params: z.object({ id: z.string() }),
        body: Factor,
        response: { 200: S.Payment, ...S.errors(400, 401, 403, 404, 409, 422, 429) },
      },
      handler: async (req, reply) =>
        idem.run(req, reply, routes.paymentConfirm, (write) =>
          withFactor(s, req, (actor) => s.wallet.payments.confirmPayment(actor, req.params.id, write)),
        ),
    });

    app.get('/v1/payments/:id', {
      preValidation: auth.requireUserOrMerchant,
      schema: {
        tags: ['money'],
        summary: 'A payment, as its payer or its merchant sees it',
        params: z.object({ id: z.string() }),
        response: { 200: S.Payment, ...S.errors(401, 404) },
      },
      handler: async (req) =>
        s.wallet.payments.getPayment(
          req.merchant ? { merchantId: req.merchant.id } : { userId: actorOf(req).id },
          req.params.id,
        ),
    });

    app.post('/v1/payments/:id/refunds', {
      preValidation: auth.requireMerchant,
      preHandler: idem.guard(routes.refund),
      onSend: idem.record,
      schema: {
        tags: ['money'],
        summary: 'Refund (part of) a payment to the payer’s wallet (merchant API key)',
        headers: S.IdempotencyHeaders,
        params: z.object({ id: z.string() }),
        body: z.object({ amount: S.Amount }),
        response: { 201: S.Refund, ...S.errors(400, 401, 403, 404, 409, 422) },
      },
      handler: async (req, reply) => {
        const merchant = req.merchant;
        if (!merchant) throw new AppError('unauthorized', 'merchant key required');
        const refund = await idem.run(req, reply, routes.refund, (write) =>
          s.merchants.refund(merchant.id, req.params.id, toAmount(req.body.amount), write),
        );
        return isReply(refund, reply) ? reply : reply.code(201).send(refund);
      },
    });

    app.post('/v1/transfers', {
      ...money(routes.transfer),
      config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags: ['money'],
        summary: 'Send money to another wallet, by user id or phone number',
        description:
          'Transfers adding up to ¥50,000 or more in an Asia/Tokyo day wait for a second factor: `requires_action` with the money held and `nextAction` (POST /v1/transfers/{id}/confirm within 15 minutes), unless the session is stepped up. A recipient that cannot receive (unknown, phone unconfirmed, unverified above the receive cap, wallet full) is always 422 `recipient_unavailable`; such failed lookups are limited per sender and day (429). 422 `security_hold` during the 24 hours after a security change.',
        headers: S.IdempotencyHeaders,
        body: z.object({
          to: z.union([
            z.object({ userId: S.Id('usr') }).strict(),
            z.object({ phone: z.string().min(10).max(20) }).strict(),
          ]),
          amount: S.Amount,
          message: z.string().max(200).optional(),
        }),
        response: { 201: S.Transfer, ...S.errors(400, 401, 403, 404, 409, 422, 429) },
      },
      handler: async (req, reply) => {
        const { to, message } = req.body;
        const transfer = await idem.run(req, reply, routes.transfer, (write) =>
          s.wallet.transfers.createTransfer(
            sourced(req),
            { to, amount: toAmount(req.body.amount), ...(message ? { message } : {}) },
            write,
          ),
        );
        return isReply(transfer, reply) ? reply : reply.code(201).send(transfer);
      },
    });

    app.post('/v1/transfers/:id/confirm', {
      ...money(routes.transferConfirm),
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['money'],
        summary: 'Complete a requires_action transfer with a second factor ({otp}, {smsCode} or {passkey})',
        headers: S.IdempotencyHeaders,
        params: z.object({ id: z.string() }),
        body: Factor,
        response: { 200: S.Transfer, ...S.errors(400, 401, 403, 404, 409, 422, 429) },
      },
      handler: async (req, reply) =>
        idem.run(req, reply, routes.transferConfirm, (write) =>
          withFactor(s, req, (actor) => s.wallet.transfers.confirmTransfer(actor, req.params.id, write)),
        ),
    });
    app.get('/v1/transfers/:id', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['money'],
        summary: 'A transfer, as its sender or its recipient sees it',
        params: z.object({ id: z.string() }),
        response: { 200: S.Transfer, ...S.errors(401, 404) },
      },
      handler: async (req) => s.wallet.transfers.getTransfer(actorOf(req).id, req.params.id),
    });
    app.post('/v1/withdrawals', {
      ...money(routes.withdrawal),
      schema: {
        tags: ['money'],
        summary: 'Withdraw to the user’s own linked bank account',
        description:
          'The first withdrawal to a link waits for a second factor (`requires_action`, money held, `nextAction`: POST /v1/withdrawals/{id}/confirm within 15 minutes) unless the session is stepped up. 422 `security_hold` during the 24 hours after a security change.',
        headers: S.IdempotencyHeaders,
        body: z.object({ bankLinkId: S.Id('lnk'), amount: S.Amount }),
        response: { 201: S.Withdrawal, ...S.errors(400, 401, 403, 404, 409, 422, 503) },
      },
      handler: async (req, reply) => {
        const withdrawal = await idem.run(req, reply, routes.withdrawal, (write) =>
          s.wallet.withdrawals.createWithdrawal(
            sourced(req),
            { bankLinkId: req.body.bankLinkId, amount: toAmount(req.body.amount) },
            write,
          ),
        );
        return isReply(withdrawal, reply) ? reply : reply.code(201).send(withdrawal);
      },
    });

    app.post('/v1/withdrawals/:id/confirm', {
      ...money(routes.withdrawalConfirm),
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['money'],
        summary: 'Complete a requires_action withdrawal with a second factor ({otp}, {smsCode} or {passkey})',
        headers: S.IdempotencyHeaders,
        params: z.object({ id: z.string() }),
        body: Factor,
        response: { 200: S.Withdrawal, ...S.errors(400, 401, 403, 404, 409, 422, 429, 503) },
      },
      handler: async (req, reply) =>
        idem.run(req, reply, routes.withdrawalConfirm, (write) =>
          withFactor(s, req, (actor) => s.wallet.withdrawals.confirmWithdrawal(actor, req.params.id, write)),
        ),
    });
    app.get('/v1/withdrawals/:id', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['money'],
        summary: 'A withdrawal',
        params: z.object({ id: z.string() }),
        response: { 200: S.Withdrawal, ...S.errors(401, 404) },
      },
      handler: async (req) => s.wallet.withdrawals.getWithdrawal(actorOf(req).id, req.params.id),
    });

    app.get('/v1/wallet', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['money'],
        summary: 'Balance, money in flight and limits',
        response: {
          200: S.Wallet.extend({
            withdrawalAccount: WithdrawalAccount.optional().describe(
              'Where withdrawals go (absent before the first link); coolingOffUntil while a new one waits',
            ),
          }),
          ...S.errors(401),
        },
      },
      handler: async (req) => {
        const [summary, withdrawalAccount] = await Promise.all([
          s.wallet.history.summary(actorOf(req)),
          s.banks.withdrawalAccounts.withdrawalAccountOf(req.user!.id),
        ]);
        return { ...summary, ...(withdrawalAccount ? { withdrawalAccount } : {}) };
      },
    });

    app.get('/v1/transactions', {
      preValidation: auth.requireUser,
      schema: {
        tags: ['money'],
        summary: 'The user’s movements, newest first',
        querystring: S.ListQuery,
        response: { 200: z.object({ data: z.array(S.TransactionItem), has_more: z.boolean() }), ...S.errors(400, 401) },
      },
      handler: async (req) => {
        const page = await s.wallet.history.transactions(actorOf(req), {
          limit: req.query.limit,
          ...(req.query.starting_after ? { startingAfter: req.query.starting_after } : {}),
        });
        return { data: page.data, has_more: page.hasMore };
      },
    });

    app.get('/v1/merchants/:id', {
      preValidation: auth.requireUserOrMerchant,
      schema: {
        tags: ['money'],
        summary: 'What the wallet shows before paying',
        params: z.object({ id: z.string() }),
        response: { 200: z.object({ id: z.string(), name: z.string() }), ...S.errors(401, 404) },
      },
      handler: async (req) => s.wallet.payments.getMerchant(req.params.id),
    });
  };
}
