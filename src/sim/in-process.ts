import { AppError } from '../platform/index.ts';
import { amount } from '../money/index.ts';
import type { Caller, MoneyKind, SimApi, SimMoneyObject } from './api.ts';
import type { SimWorld } from './world.ts';

/**
 * The simulated people's requests as Saifu's routes would make them: the session token resolved to its user, the
 * request's source attached, then the same use case the route calls. An unknown or lapsed session is the route's
 * 401 `unauthorized`.
 */
export function inProcessApi(w: SimWorld): SimApi {
  const actor = async (c: Caller) => {
    const u = await w.identity.authenticate(c.token);
    if (!u) throw new AppError('unauthorized', 'the session is unknown, expired or revoked');
    return { ...u, source: c.source };
  };
  const create = async (c: Caller, kind: MoneyKind, target: string, yen: number): Promise<SimMoneyObject> => {
    const a = await actor(c);
    const money = amount(yen);
    if (kind === 'charge') return w.wallet.charges.createCharge(a, { bankLinkId: target, amount: money });
    if (kind === 'payment') return w.wallet.payments.createPayment(a, { merchantId: target, amount: money });
    if (kind === 'transfer') return w.wallet.transfers.createTransfer(a, { to: { userId: target }, amount: money });
    return w.wallet.withdrawals.createWithdrawal(a, { bankLinkId: target, amount: money });
  };
  // As the confirm routes do: the factor steps the session up, then the object is confirmed under it.
  const confirm = async (c: Caller, kind: MoneyKind, id: string, smsCode: string): Promise<{ status: string }> => {
    const u = await actor(c);
    const { elevatedUntil } = await w.mfa.stepUp(u, u.session.id, { smsCode });
    const a = { ...u, session: { ...u.session, elevatedUntil } };
    if (kind === 'charge') return w.wallet.charges.confirmCharge(a, id);
    if (kind === 'payment') return w.wallet.payments.confirmPayment(a, id);
    if (kind === 'transfer') return w.wallet.transfers.confirmTransfer(a, id);
    return w.wallet.withdrawals.confirmWithdrawal(a, id);
  };
  return {
    broken: () => undefined,
    now: () => w.clock.now().getTime(),
    setClock: async (at) => {
      if (at > w.clock.now().getTime()) w.clock.set(new Date(at));
    },
    advance: async (ms) => w.clock.advance(ms),
    signup: async (i, source) => {
      const r = await w.identity.signup(i, source);
      return { userId: r.user.id, token: r.token };
    },
    login: async (email, password, source) => ({
      token: (await w.identity.login(email, password, undefined, source)).token,
    }),
    confirmPhone: async (c, code) => {
      await w.identity.confirmPhone((await actor(c)).id, code);
    },
    sendStepUpSms: async (c) => {
      const u = await actor(c);
      await w.mfa.sendStepUpSms(u, u.session.id);
    },
    stepUp: async (c, smsCode) => {
      const u = await actor(c);
      await w.mfa.stepUp(u, u.session.id, { smsCode });
    },
    changePhone: async (c, phone) => {
      await w.security.changePhone(await actor(c), phone, c.source);
    },
    submitIdentity: async (c, s) => {
      const r = await w.ekyc.submit(await actor(c), s, c.source);
      return { status: r.status, reasons: [...(r.reasons as string[])] };
    },
    startLink: async (c, ref) => w.linking.startLink(await actor(c), ref, c.source),
    authorizeLink: async (c, id, body) => w.linking.authorize(await actor(c), id, body, c.source),
    createMoney: create,
    confirmMoney: confirm,
    messagesTo: (phone) => w.sandbox.mailbox.messagesTo(phone),
    openBankAccount: (i) => w.sandbox.bank.openAccount({ ...i, accountType: 'ordinary', balance: amount(i.balance) }),
    registerIdentity: (i) => w.sandbox.identity.register(i),
    statement: async (a) => w.sandbox.bank.statement(a),
    reportUnauthorized: async (a, reference) => {
      await w.cases.reportUnauthorized(a, reference);
    },
    createMerchant: async (name) => ({ id: (await w.wallet.payments.createMerchant(name)).id }),
  };
}
