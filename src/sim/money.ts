import { amount } from '../money/index.ts';
import type { Actor } from '../wallet/index.ts';
import { type SimSession, codeOf } from './session.ts';
import type { SimWorld } from './world.ts';

export type MoneyKind = 'charge' | 'payment' | 'transfer' | 'withdrawal';

/** What one money step came to, as the person saw it. */
export interface MoneyOutcome {
  /** Final status after any second factor was given; undefined when refused with an error. */
  status?: string;
  /** The risk decision the object was created under. */
  decision?: string;
  rules: string[];
  /** The error code when refused outright. */
  code?: string;
  /** A second factor was asked for (policy or risk) and given. */
  steppedUp: boolean;
}

type Obj = { id: string; status: string; risk: { decision: string; reasons: Array<{ rule: string }> } };

/**
 * One money step through the wallet's use cases: create it, and when it waits for a second factor, give one (the
 * person holds their phone) and confirm it. `what` names the target: a link, a merchant or a user id.
 */
export async function moveMoney(
  w: SimWorld,
  s: SimSession,
  kind: MoneyKind,
  target: string,
  yen: number,
): Promise<MoneyOutcome> {
  try {
    const actor = await s.actor();
    const created = await create(w, actor, kind, target, yen);
    const base = { decision: created.risk.decision, rules: created.risk.reasons.map((r) => r.rule) };
    if (created.status !== 'requires_action') return { ...base, status: created.status, steppedUp: false };
    await s.stepUp();
    const done = await confirm(w, await s.actor(), kind, created.id);
    return { ...base, status: done.status, steppedUp: true };
  } catch (e) {
    return { code: codeOf(e), rules: [], steppedUp: false };
  }
}

function create(w: SimWorld, actor: Actor, kind: MoneyKind, target: string, yen: number): Promise<Obj> {
  const a = amount(yen);
  if (kind === 'charge') return w.wallet.charges.createCharge(actor, { bankLinkId: target, amount: a });
  if (kind === 'payment') return w.wallet.payments.createPayment(actor, { merchantId: target, amount: a });
  if (kind === 'transfer') return w.wallet.transfers.createTransfer(actor, { to: { userId: target }, amount: a });
  return w.wallet.withdrawals.createWithdrawal(actor, { bankLinkId: target, amount: a });
}

function confirm(w: SimWorld, actor: Actor, kind: MoneyKind, id: string): Promise<{ status: string }> {
  if (kind === 'charge') return w.wallet.charges.confirmCharge(actor, id);
  if (kind === 'payment') return w.wallet.payments.confirmPayment(actor, id);
  if (kind === 'transfer') return w.wallet.transfers.confirmTransfer(actor, id);
  return w.wallet.withdrawals.confirmWithdrawal(actor, id);
}
