import type { SimSubmission } from './api.ts';
import type { SimConfig } from './configs.ts';
import type { Tally } from './metrics.ts';
import { moveMoney } from './money.ts';
import {
  type BankAccount,
  type Person,
  idDocument,
  linkAccount,
  openBankAccount,
  personOf,
  phoneOf,
  verifyIdentity,
} from './people.ts';
import type { Dice } from './random.ts';
import type { Schedule } from './scheduler.ts';
import { SimSession, type Source, codeOf } from './session.ts';
import type { Observed } from './truth.ts';
import type { Victim } from './victims.ts';
import { DAY, HOUR, MINUTE, SIM_BANKS } from './world.ts';
import type { SimApi } from './api.ts';

/**
 * The criminals, as campaigns with budgets: throw-away wallets from a small pool of devices and IPs, eKYC
 * attempts, links to phished accounts, a PIN spray, drains to the limits, cash-out through mules, adaptation to
 * blocks. What they know is only what they would know; what Saifu answers is all they learn.
 */
export interface AttackCtx {
  w: SimApi;
  config: SimConfig;
  dice: Dice;
  agenda: Schedule;
  tally: Tally;
  start: number;
  days: number;
  /** Ground truth, read only by the measurements: the links, charges, wallets and cash-out the criminals made. */
  seen: Observed;
  mules: Mule[];
  fence: string;
  /** Holders who may report what they see (victims and sprayed honest people alike). */
  onTargeted: (account: BankAccount) => void;
}

interface Mule {
  session: SimSession;
  linkId?: string;
}

const MAX_WALLETS_PER_DAY = 100;

export class Campaign {
  private devices: string[] = [];
  private ips: string[] = [];
  private rotations = 0;
  private wallets = 0;
  private budget = MAX_WALLETS_PER_DAY;
  private openedToday = new Map<number, number>();
  private readonly variant: boolean;
  private ownDocument: SimSubmission | undefined;
  /** How far down the leaked list the PIN spray has come. */
  private sprayed = 0;

  constructor(private readonly ctx: AttackCtx) {
    for (let i = 0; i < 8; i++) this.devices.push(`atk_dev_${i}`);
    for (let i = 0; i < 4; i++) this.ips.push(`203.0.113.${10 + i}`);
    this.variant = ctx.config.campaign !== '2020';
  }

  /** Each phished victim is taken over soon after the data arrives; a spray runs each day; mules cash out nightly. */
  schedule(victims: Victim[], leaked: BankAccount[]): void {
    const { agenda, dice } = this.ctx;
    for (const v of victims) agenda.at(v.phishedAt, () => this.takeOver(v.account, v, 3), 'takeover');
    if (!this.variant)
      for (let d = 0; d < this.ctx.days; d++)
        agenda.at(this.ctx.start + d * DAY + dice.int(1, 10) * HOUR, () => this.spray(leaked), 'spray');
  }

  private source(): Source {
    const { dice } = this.ctx;
    return { deviceId: dice.pick(this.devices), ip: dice.pick(this.ips) };
  }

  /** Blocked: new devices and addresses, and fewer wallets a day. */
  private adapt(code: string): void {
    if (!code.startsWith('risk_') && code !== 'blocklisted' && code !== 'too_many_attempts') return;
    this.rotations++;
    this.devices.shift();
    this.devices.push(`atk_dev_r${this.rotations}`);
    this.ips[this.rotations % this.ips.length] = `198.18.${(this.rotations >> 8) & 255}.${this.rotations & 255}`;
    this.budget = Math.max(10, Math.floor(this.budget * 0.7));
  }

  private now(): number {
    return this.ctx.w.now();
  }

  /** A step stopped (or not); adapts when blocked. */
  private step(code?: string): boolean {
    const ok = this.ctx.tally.attack(this.now(), code);
    if (code) this.adapt(code);
    return ok;
  }

  /** A throw-away wallet: email and a burner phone; confirmed, and through eKYC, when Saifu asks. */
  private async wallet(identity: Person | undefined): Promise<SimSession | undefined> {
    const day = Math.floor((this.now() - this.ctx.start) / DAY);
    const opened = this.openedToday.get(day) ?? 0;
    if (opened >= this.budget) return undefined;
    this.openedToday.set(day, opened + 1);
    const n = this.wallets++;
    const { w, config, dice } = this.ctx;
    const s = new SimSession(w, `drop${n}@mail.test`, phoneOf('070', n), this.source());
    try {
      await s.signup();
      this.ctx.seen.attackerWallets++;
      if (config.linkingPolicy.requirePhoneConfirmed || config.walletPolicy.requirePhoneConfirmed)
        await s.confirmPhone();
    } catch (e) {
      this.step(codeOf(e));
      return undefined;
    }
    if (!config.linkingPolicy.requireVerifiedIdentity) return s;
    // Own identity (one document, one wallet), a forgery the provider catches, or now and then one it does not.
    const roll = dice.next();
    const passShare = this.variant ? 1 : 0.05;
    const mode = roll < passShare ? 'pass' : roll < passShare + 0.1 ? 'own' : 'forged';
    const who = mode === 'own' || !identity ? personOf(900_000, s.phone) : identity;
    // The criminal's own document is registered once; every later wallet presents it again.
    this.ownDocument ??= mode === 'own' ? await idDocument(w, who, '9000001') : undefined;
    const doc =
      mode === 'own' && this.ownDocument ? this.ownDocument : await idDocument(w, who, `8${n}`, mode === 'forged');
    const failed = await verifyIdentity(w, s, doc);
    return this.step(failed) ? s : undefined;
  }

  private async takeOver(account: BankAccount, v: Victim | undefined, tries: number): Promise<void> {
    const { w, config, dice, agenda } = this.ctx;
    const identity: Person = { ...personOf(100_000 + (v?.n ?? 0), account.phone), birthDate: account.birthDate };
    const s = await this.wallet(identity);
    if (!s) {
      if (tries > 1)
        agenda.at(this.now() + dice.int(6, 30) * HOUR, () => this.takeOver(account, v, tries - 1), 'takeover');
      return;
    }
    const simSwap = this.variant && config.campaign !== 'forged-id-same-name';
    if (simSwap && v) v.simSwappedUntil = this.now() + dice.int(24, 72) * HOUR;
    const r = await linkAccount(w, s, account, {
      otpPhone: simSwap ? account.phone : undefined,
      stepUp: config.linkingPolicy.requireStepUp,
    });
    this.ctx.onTargeted(account);
    if (!this.step(r.code) || !r.link) {
      if (tries > 1 && r.code !== 'otp_unavailable' && r.code !== 'name_mismatch')
        agenda.at(this.now() + dice.int(6, 30) * HOUR, () => this.takeOver(account, v, tries - 1), 'takeover');
      return;
    }
    this.ctx.seen.attackerLinks.set(r.link.id, account);
    let cashOut: string | undefined;
    if (config.campaign === 'forged-id-same-name') cashOut = await this.sameNameAccount(s, identity);
    const link = r.link.id;
    if (config.campaign === 'slow-small') {
      for (let i = 0; i < 15; i++)
        agenda.at(
          this.now() + (i * 2 + dice.int(0, 1)) * DAY + dice.int(1, 8) * HOUR,
          () => this.drain(s, link, [dice.int(3, 9) * 1_000], cashOut),
          'drain',
        );
      return;
    }
    await this.drain(s, link, [100_000, 90_000, 90_000, 20_000], cashOut);
    // After the burst, the patient part: ¥10,000 a day while a new link is capped, small debits for weeks after.
    for (let d = 1; d < 8; d++)
      agenda.at(this.now() + d * DAY + dice.int(0, 6) * HOUR, () => this.drain(s, link, [10_000], cashOut), 'drain');
    for (let d = 9; d < 60; d += dice.int(3, 6))
      agenda.at(this.now() + d * DAY, () => this.drain(s, link, [dice.int(5, 9) * 1_000], cashOut), 'drain');
  }

  /** A same-name account opened with the forged ID, on the criminal's own phone: where withdrawals go. */
  private async sameNameAccount(s: SimSession, who: Person): Promise<string | undefined> {
    const { w, dice, config } = this.ctx;
    const own = await openBankAccount(w, { ...who, phone: s.phone }, dice.pick(SIM_BANKS), '5555', 0);
    const r = await linkAccount(w, s, own, { otpPhone: s.phone, stepUp: config.linkingPolicy.requireStepUp });
    return this.step(r.code) && r.link ? r.link.id : undefined;
  }

  /** Charges to the limits within minutes, then cash-out within the hour. */
  private async drain(s: SimSession, link: string, amounts: number[], cashOutLink?: string): Promise<void> {
    const { w } = this.ctx;
    let got = 0;
    for (const yen of amounts) {
      const o = await moveMoney(w, s, 'charge', link, yen);
      if (o.id) this.ctx.seen.attackerCharges.add(o.id);
      const code = o.code ?? (o.status === 'succeeded' ? undefined : o.status === 'in_review' ? 'in_review' : o.status);
      if (!this.step(code)) {
        if (o.code === 'wallet_frozen' || o.code === 'link_not_active') return;
        continue;
      }
      got += yen;
      await w.advance(30_000);
    }
    if (got > 0)
      this.ctx.agenda.at(
        this.now() + this.ctx.dice.int(5, 45) * MINUTE,
        () => this.cashOut(s, got, cashOutLink),
        'cash-out',
      );
  }

  private async cashOut(s: SimSession, yen: number, sameNameLink?: string): Promise<void> {
    const { w, dice, config, mules, fence } = this.ctx;
    const ring = config.campaign === 'mule-ring' ? mules.slice(0, 3) : mules;
    const roll = dice.next();
    const o =
      sameNameLink && roll < 0.5
        ? await moveMoney(w, s, 'withdrawal', sameNameLink, yen)
        : roll < 0.75 && ring.length > 0
          ? await moveMoney(w, s, 'transfer', dice.pick(ring).session.userId, yen)
          : await moveMoney(w, s, 'payment', fence, yen);
    if (o.status === 'succeeded') this.ctx.seen.cashedOutYen += yen;
    this.step(o.code ?? (o.status === 'succeeded' ? undefined : (o.status ?? 'failed')));
  }

  /** Reverse brute force: one PIN over many leaked account numbers, from one throw-away wallet a day. */
  private async spray(leaked: BankAccount[]): Promise<void> {
    const { w, config } = this.ctx;
    const s = await this.wallet(undefined);
    if (!s || leaked.length === 0) return;
    for (let i = 0; i < 20 && this.sprayed < leaked.length; i++) {
      const target = leaked[this.sprayed++]!;
      const r = await linkAccount(w, s, target, { pin: '1234', stepUp: config.linkingPolicy.requireStepUp && i === 0 });
      this.ctx.onTargeted(target);
      if (r.code === 'bank_auth_failed') {
        this.step();
        continue;
      }
      if (!this.step(r.code) || !r.link) {
        if (r.code === 'too_many_attempts' || r.code?.startsWith('risk_')) return;
        continue;
      }
      this.ctx.seen.attackerLinks.set(r.link.id, target);
      await this.drain(s, r.link.id, [100_000, 90_000, 90_000, 20_000]);
    }
  }
}

/** Mules: real people paid to receive and pass money on, each with their own identity, bank account and wallet. */
export async function recruitMules(w: SimApi, config: SimConfig, count: number): Promise<Mule[]> {
  const mules: Mule[] = [];
  for (let i = 0; i < count; i++) {
    const p = personOf(800_000 + i, phoneOf('070', 9_000_000 + i));
    const s = new SimSession(w, `mule${i}@mail.test`, p.phone, { deviceId: `mule_dev_${i}`, ip: `192.0.2.${i + 1}` });
    try {
      await s.signup();
      await s.confirmPhone();
      if (config.linkingPolicy.requireVerifiedIdentity) await verifyIdentity(w, s, await idDocument(w, p, `7${i}`));
      const own = await openBankAccount(w, p, SIM_BANKS[i % SIM_BANKS.length]!, '2468', 10_000);
      const r = await linkAccount(w, s, own, { otpPhone: p.phone, stepUp: config.linkingPolicy.requireStepUp });
      mules.push({ session: s, ...(r.link?.status === 'active' ? { linkId: r.link.id } : {}) });
    } catch {
      mules.push({ session: s });
    }
  }
  return mules;
}
