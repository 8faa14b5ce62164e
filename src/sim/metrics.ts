/**
 * What a run measures. Every failed attacker step is attributed to the defence layer that stopped it, read only
 * from what Saifu answered (an error code, a link's failure code, a risk decision): the simulator's ground truth
 * says who is an attacker, never why they were stopped.
 */
export const LAYERS = [
  'ekyc',
  'bank_mfa',
  'name_match',
  'pin_guard',
  'holder_reports',
  'cooling_off',
  'risk_rules',
  'other',
] as const;
export type Layer = (typeof LAYERS)[number];

export const LAYER_LABELS: Record<Layer, string> = {
  ekyc: 'eKYC',
  bank_mfa: 'bank MFA',
  name_match: 'name match',
  pin_guard: 'PIN-spray guard',
  holder_reports: 'holder reports',
  cooling_off: 'cooling-off / limits',
  risk_rules: 'risk rules',
  other: 'other',
};

/** The layer behind an error code or a link failure code; undefined = not a defence (a wrong guess, a bank refusal). */
export function layerOf(code: string): Layer | undefined {
  if (code === 'verification_required' || code.startsWith('ekyc_') || code === 'already_verified') return 'ekyc';
  if (code === 'auth_method_not_allowed' || code === 'otp_unavailable' || code === 'authorization_expired')
    return 'bank_mfa';
  if (code === 'name_mismatch') return 'name_match';
  if (code === 'too_many_attempts' || code === 'authorization_in_progress') return 'pin_guard';
  if (code === 'wallet_frozen' || code === 'reported_unauthorized' || code === 'link_not_active')
    return 'holder_reports';
  if (code === 'limit_exceeded') return 'cooling_off';
  if (
    code.startsWith('risk_') ||
    code.startsWith('restricted_') ||
    code === 'review' ||
    code === 'in_review' ||
    code === 'review_rejected' ||
    code === 'blocklisted'
  )
    return 'risk_rules';
  if (code === 'bank_auth_failed' || code === 'bank_account_locked' || code === 'insufficient_funds') return undefined;
  return 'other';
}

/** The machine-readable result of one run (result.json): deterministic for a seed, no wall-clock time inside. */
export interface SimResult {
  config: string;
  description: string;
  seed: number;
  days: number;
  users: number;
  victims: number;
  /** Debited from victims' accounts through the criminals' links. */
  stolenYen: number;
  /**
   * What of it reached the criminals (withdrawn to their accounts, paid to their fence, sent to their mules); the
   * rest sits in frozen wallets, where an incident can return it.
   */
  cashedOutYen: number;
  victimsHit: number;
  /** Stolen yen at the end of each simulated day (cumulative). */
  lossesByDay: number[];
  attackerWallets: number;
  attackSteps: number;
  stopsByLayer: Record<Layer, number>;
  /** What stopped attacker steps, by the code Saifu answered. */
  stopsByCode: Record<string, number>;
  /** Hours from the campaign's first step to the first step a defence (not a limit) stopped; null = never. */
  firstDetectionHours: number | null;
  honestUsers: number;
  honestMoneyObjects: number;
  /** Honest users the risk engine asked for a second factor or held for review at least once. */
  honestChallenged: number;
  /** Honest users refused by a defence at least once (risk deny, restriction, name match, …). */
  honestDenied: number;
  /** Honest users whose wallet was frozen or blocked. */
  honestBlocked: number;
  /** The rules and codes behind honest friction. */
  honestFrictionReasons: Record<string, number>;
  /** null when the simulator drove a server whose database it cannot read. */
  casesOpened: number | null;
  casesByKind: Record<string, number> | null;
  /** The ledger verified after the run; null when the simulator drove a server whose database it cannot read. */
  ledgerVerified: boolean | null;
}

/** Counters filled during a run. */
export class Tally {
  stops: Record<Layer, number> = Object.fromEntries(LAYERS.map((l) => [l, 0])) as Record<Layer, number>;
  stopsByCode: Record<string, number> = {};
  attackSteps = 0;
  firstStepAt: number | undefined;
  firstStopAt: number | undefined;
  honestObjects = 0;
  challenged = new Set<number>();
  denied = new Set<number>();
  blocked = new Set<number>();
  frictionReasons: Record<string, number> = {};

  /** An attacker step; `code` when a defence or the bank refused it. Returns whether it went through. */
  attack(at: number, code?: string): boolean {
    this.attackSteps++;
    this.firstStepAt ??= at;
    if (code === undefined) return true;
    const layer = layerOf(code);
    if (layer) {
      this.stops[layer]++;
      this.stopsByCode[code] = (this.stopsByCode[code] ?? 0) + 1;
      // Limits are not a detection: the 2020 service had them too.
      if (layer !== 'cooling_off' && layer !== 'other') this.firstStopAt ??= at;
    }
    return false;
  }

  friction(user: number, kind: 'challenged' | 'denied' | 'blocked', reason: string): void {
    this[kind].add(user);
    const key = `${kind}:${reason}`;
    this.frictionReasons[key] = (this.frictionReasons[key] ?? 0) + 1;
  }
}

export const sortedRecord = (r: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
