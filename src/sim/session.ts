import { AppError } from '../platform/index.ts';
import type { Actor } from '../wallet/index.ts';
import { DAY } from './world.ts';
import type { SimWorld } from './world.ts';

/** Where a simulated person's requests come from: what the defences see (X-Device-Id and the client's IP). */
export interface Source {
  deviceId: string;
  ip: string;
}

/** What a failed step answered: an AppError's code, else the message (a bug in the simulator or Saifu). */
export const codeOf = (e: unknown): string =>
  e instanceof AppError ? e.code : ((e as { code?: string }).code ?? String(e));

/**
 * One simulated person's use of their wallet, in-process: sign-up, sign-in when the session lapsed, and the
 * second factor they hold (an SMS code to their phone, read from the sandbox mailbox, as their phone would show it).
 */
export class SimSession {
  userId = '';
  private token = '';
  private expiresAt = 0;
  constructor(
    private readonly w: SimWorld,
    readonly email: string,
    public phone: string,
    public source: Source,
    private readonly password = 'a long enough password for sim',
  ) {}

  async signup(): Promise<void> {
    const r = await this.w.identity.signup(
      { email: this.email, phone: this.phone, password: this.password },
      this.source,
    );
    this.userId = r.user.id;
    this.token = r.token;
    this.expiresAt = this.w.clock.now().getTime() + DAY / 2;
  }

  /** The latest one-time code sent to a phone (a user's own, or a victim's whose SIM the attacker holds). */
  async latestCode(phone: string): Promise<string | undefined> {
    const messages = await this.w.sandbox.mailbox.messagesTo(phone);
    for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.code) return messages[i]!.code;
    return undefined;
  }

  async confirmPhone(mistype = false): Promise<void> {
    if (mistype) await this.w.identity.confirmPhone(this.userId, '000000').catch(() => undefined);
    await this.w.identity.confirmPhone(this.userId, (await this.latestCode(this.phone)) ?? '');
  }

  /** The user as the session sees them now, with the request's source: what a route hands the use cases. */
  async actor(): Promise<Actor & { session: { id: string; elevatedUntil: string | null } } & SessionFields> {
    if (this.w.clock.now().getTime() >= this.expiresAt - 60_000) await this.login();
    let u = await this.w.identity.authenticate(this.token);
    if (!u) {
      await this.login();
      u = await this.w.identity.authenticate(this.token);
    }
    if (!u) throw new AppError('invalid_credentials', 'simulated session lost');
    return { ...u, source: this.source };
  }

  private async login(): Promise<void> {
    const r = await this.w.identity.login(this.email, this.password, undefined, this.source);
    this.token = r.token;
    this.expiresAt = this.w.clock.now().getTime() + DAY / 2;
  }

  /** A fresh second factor: the SMS code sent to the confirmed phone. */
  async stepUp(): Promise<void> {
    const u = await this.actor();
    await this.w.mfa.sendStepUpSms(u, u.session.id);
    const code = (await this.latestCode(this.phone)) ?? '';
    await this.w.mfa.stepUp(u, u.session.id, { smsCode: code });
  }
}

interface SessionFields {
  phone: string;
  email: string;
}
