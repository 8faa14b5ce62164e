import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { yen } from '../../money/index.ts';
import { isValidZenginName } from '../../banks/names/index.ts';
import { normalizePhone } from '../../notify/index.ts';
import { AppError } from '../../platform/index.ts';
import { isManualClock, moveSandboxClock } from '../../sandbox/index.ts';
import type { Services } from '../../services.ts';
import * as S from '../schemas.ts';
import { sourceOf } from './bank-links.ts';

const BankCode = z.string().regex(/^\d{4}$/, 'a 4-digit bank code');
const BranchCode = z.string().regex(/^\d{3}$/, 'a 3-digit branch code');
const AccountNumber = z.string().regex(/^\d{7}$/, 'exactly 7 digits');
const BirthDate = z.iso.date();
/** A year and a day: the longest single step of the simulated clock. */
const MAX_ADVANCE_MS = 366 * 24 * 60 * 60 * 1000;
const ClockState = z.object({
  now: S.Timestamp,
  manual: z.boolean().describe('true: simulated time that POST /sandbox/clock moves (SAIFU_SANDBOX_CLOCK=1)'),
});

/** The simulated world: banks, their customers' accounts, the mailbox, fault injection, merchants, the clock. */
export function sandboxRoutes(s: Services): FastifyPluginAsyncZod {
  const bank = s.sandbox.bank;
  return async (app) => {
    app.post('/sandbox/bank-accounts', {
      schema: {
        tags: ['sandbox'],
        summary: 'Open a sandbox bank account',
        body: z.object({
          bankCode: BankCode,
          branchCode: BranchCode,
          accountType: z.enum(['ordinary', 'current', 'savings']).default('ordinary'),
          accountNumber: AccountNumber.optional(),
          holderNameKana: z
            .string()
            .min(1)
            .max(30)
            .refine(
              isValidZenginName,
              'the holder name as a bank stores it: half-width katakana (Zengin characters), at most 30',
            ),
          birthDate: BirthDate,
          pin: z.string().regex(/^\d{4}$/, 'a 4-digit PIN'),
          phone: z.string().min(10).max(20),
          balance: z.number().int().min(0).max(9_999_999_999).default(0),
        }),
        response: {
          201: z.object({
            bankCode: z.string(),
            branchCode: z.string(),
            accountType: z.string(),
            accountNumber: z.string(),
          }),
          ...S.errors(400, 409),
        },
      },
      handler: async (req, reply) => {
        const b = req.body;
        const { accountNumber } = await bank.openAccount({
          ...b,
          phone: normalizePhone(b.phone),
          balance: yen(b.balance),
        });
        return reply
          .code(201)
          .send({ bankCode: b.bankCode, branchCode: b.branchCode, accountType: b.accountType, accountNumber });
      },
    });

    app.get('/sandbox/bank-accounts/:bankCode/:branchCode/:accountNumber', {
      schema: {
        tags: ['sandbox'],
        summary: 'A sandbox account: balance, statement, notices sent to the holder',
        params: z.object({ bankCode: BankCode, branchCode: BranchCode, accountNumber: AccountNumber }),
        response: {
          200: z.object({
            bankCode: z.string(),
            branchCode: z.string(),
            accountNumber: z.string(),
            accountType: z.string(),
            holderNameKana: z.string(),
            balance: z.number().int(),
            locked: z.boolean(),
            statement: z.array(
              z.object({
                reference: z.string(),
                descriptor: z.string(),
                amount: z.number().int(),
                balanceAfter: z.number().int(),
                createdAt: z.string(),
              }),
            ),
            notices: z.array(
              z.object({ id: z.string(), channel: z.string(), body: z.string(), createdAt: z.string() }),
            ),
          }),
          ...S.errors(400, 404),
        },
      },
      handler: async (req) => {
        const a = await bank.findAccount(req.params);
        if (!a) throw new AppError('not_found', 'no such sandbox account');
        const notices = (await s.sandbox.mailbox.messagesTo(a.phone)).filter((m) => m.channel === 'bank_notice');
        return {
          bankCode: a.bank_code,
          branchCode: a.branch_code,
          accountNumber: a.account_number,
          accountType: a.account_type,
          holderNameKana: a.holder_name_kana,
          balance: a.balance,
          locked: a.locked_at !== null,
          statement: await bank.statement(req.params),
          notices: notices.map((n) => ({ id: n.id, channel: n.channel, body: n.body, createdAt: n.createdAt })),
        };
      },
    });

    app.post('/sandbox/bank-accounts/:bankCode/:branchCode/:accountNumber/report-unauthorized', {
      schema: {
        tags: ['sandbox'],
        summary:
          '"This wasn\u2019t me": the holder reports a link or debit; freezes every link to the account (or, with `reference`, the one link it names), holds pending charges, freezes the wallets and opens a case',
        params: z.object({ bankCode: BankCode, branchCode: BranchCode, accountNumber: AccountNumber }),
        body: z
          .strictObject({ reference: z.string().min(1).max(64) })
          .nullish()
          .describe('Optional: {reference}, the link id a bank notice showed or a debit’s statement reference'),
        response: {
          200: z.object({
            caseId: z.string(),
            frozenLinks: z.array(z.string()),
            frozenWallets: z.array(z.string()),
            heldCharges: z.array(z.string()),
          }),
          ...S.errors(400, 404),
        },
      },
      handler: async (req) => {
        if (!(await bank.findAccount(req.params))) throw new AppError('not_found', 'no such sandbox account');
        return s.cases.reportUnauthorized(req.params, req.body?.reference);
      },
    });

    app.post('/sandbox/approvals/:id/approve', {
      schema: {
        tags: ['sandbox'],
        summary:
          'The holder approves a link in the bank\u2019s app (the approval id is in the holder\u2019s bank notice)',
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: z.object({ id: z.string(), status: z.literal('approved') }), ...S.errors(404, 409) },
      },
      handler: async (req) => {
        const r = await s.sandbox.bankAuth.approve(req.params.id);
        if (r === 'not_found') throw new AppError('not_found', 'no such approval request');
        if (r !== 'approved') throw new AppError('invalid_state', `the approval request is ${r}`);
        return { id: req.params.id, status: 'approved' as const };
      },
    });

    app.get('/sandbox/messages', {
      schema: {
        tags: ['sandbox'],
        summary: 'SMS, email and bank notices sent to a phone or email, oldest first',
        querystring: z.object({ to: z.string().min(3).max(254) }),
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.string(),
                to: z.string(),
                channel: z.enum(['sms', 'email', 'bank_notice']),
                body: z.string(),
                code: z.string().optional(),
                createdAt: z.string(),
              }),
            ),
          }),
          ...S.errors(400),
        },
      },
      handler: async (req) => ({ data: await s.sandbox.mailbox.messagesTo(req.query.to) }),
    });

    app.post('/sandbox/faults', {
      schema: {
        tags: ['sandbox'],
        summary: 'Inject bank faults at a rate (0 removes the fault)',
        body: z.object({
          bankCode: BankCode,
          kind: z.enum(['timeout', 'decline', 'duplicate', 'down']),
          rate: z.number().min(0).max(1),
        }),
        response: { 200: z.object({ bankCode: z.string(), kind: z.string(), rate: z.number() }), ...S.errors(400) },
      },
      handler: async (req) => {
        await bank.setFault(req.body.bankCode, req.body.kind, req.body.rate);
        return req.body;
      },
    });

    app.get('/sandbox/request-source', {
      schema: {
        tags: ['sandbox'],
        summary: 'Where this request comes from, as the defences see it: the client address and the device id',
        description:
          'The address is the socket\u2019s, or the first `X-Forwarded-For` address when the server runs with `SAIFU_TRUST_PROXY=1`. A client that sends many people\u2019s traffic (the attack simulator) checks here that its per-person addresses arrive.',
        response: {
          200: z.object({ ip: z.string(), deviceId: z.string().nullable() }),
          ...S.errors(400),
        },
      },
      handler: async (req) => {
        const source = sourceOf(req);
        return { ip: source.ip, deviceId: source.deviceId ?? null };
      },
    });

    app.get('/sandbox/clock', {
      schema: {
        tags: ['sandbox'],
        summary: 'The server\u2019s time, and whether it is simulated',
        response: { 200: ClockState, ...S.errors(400) },
      },
      handler: async () => ({ now: s.clock.now().toISOString(), manual: isManualClock(s.clock) }),
    });

    app.post('/sandbox/clock', {
      schema: {
        tags: ['sandbox'],
        summary: 'Move the simulated clock forward: to a moment, or by some milliseconds',
        description:
          'Exactly one of `to` (ISO 8601) and `advanceMs` (1 \u2026 366 days). Time stands still between moves. A `to` earlier than now is 422 `clock_backwards`; a server on the system clock answers 409 `clock_not_manual` (start it with SAIFU_SANDBOX_CLOCK=1).',
        body: z
          .strictObject({
            to: z.iso.datetime({ offset: true }).optional(),
            advanceMs: z.number().int().min(1).max(MAX_ADVANCE_MS).optional(),
          })
          .refine((b) => (b.to === undefined) !== (b.advanceMs === undefined), {
            message: 'give exactly one of to and advanceMs',
          }),
        response: { 200: ClockState.extend({ manual: z.literal(true) }), ...S.errors(400, 409, 422) },
      },
      handler: async (req) => {
        const { to, advanceMs } = req.body;
        const now = moveSandboxClock(s.clock, to !== undefined ? { to: new Date(to) } : { advanceMs: advanceMs ?? 0 });
        return { now: now.toISOString(), manual: true as const };
      },
    });

    app.post('/sandbox/merchants', {
      schema: {
        tags: ['sandbox'],
        summary: 'Create a merchant; returns its API key once',
        body: z.object({ name: z.string().min(1).max(100) }),
        response: { 201: z.object({ id: z.string(), name: z.string(), apiKey: z.string() }), ...S.errors(400) },
      },
      handler: async (req, reply) => reply.code(201).send(await s.wallet.payments.createMerchant(req.body.name)),
    });
  };
}
