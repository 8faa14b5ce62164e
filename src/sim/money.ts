import type { MoneyKind, SimApi } from './api.ts';
import { type SimSession, codeOf } from './session.ts';

export type { MoneyKind } from './api.ts';

/** What one money step came to, as the person saw it. */
export interface MoneyOutcome {
  /** The object's id (undefined when refused with an error). */
  id?: string;
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

/**
 * One money step as the app makes it: create it, and when it waits for a second factor, give one (the person holds
 * their phone) and confirm it. `target` names a link, a merchant or a user id.
 */
export async function moveMoney(
  api: SimApi,
  s: SimSession,
  kind: MoneyKind,
  target: string,
  yen: number,
): Promise<MoneyOutcome> {
  try {
    const created = await s.as((c) => api.createMoney(c, kind, target, yen));
    const base = { id: created.id, decision: created.risk.decision, rules: created.risk.reasons.map((r) => r.rule) };
    if (created.status !== 'requires_action') return { ...base, status: created.status, steppedUp: false };
    const smsCode = await s.requestCode();
    const done = await s.as((c) => api.confirmMoney(c, kind, created.id, smsCode));
    return { ...base, status: done.status, steppedUp: true };
  } catch (e) {
    return { code: codeOf(e), rules: [], steppedUp: false };
  }
}
