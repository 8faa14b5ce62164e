import { AppError } from '../platform/index.ts';
import type { Caller, SimApi, Source } from './api.ts';
import { DAY } from './world.ts';

export type { Source } from './api.ts';

/** Every simulated person's password (what a server that already ran a simulation would recognise). */
export const SIM_PASSWORD = 'a long enough password for sim';

/** What a failed step answered: the API's error code, else the message (a bug in the simulator or Saifu). */
export const codeOf = (e: unknown): string =>
  e instanceof AppError ? e.code : ((e as { code?: string }).code ?? String(e));

/**
 * One simulated person's use of their wallet: sign-up, sign-in when the session lapsed (or the server ended it),
 * and the second factor they hold (an SMS code to their phone, read from the sandbox mailbox, as their phone would
 * show it).
 */
export class SimSession {
  userId = '';
  private token = '';
  private expiresAt = 0;
  constructor(
    private readonly api: SimApi,
    readonly email: string,
    public phone: string,
    public source: Source,
    private readonly password = SIM_PASSWORD,
  ) {}

  async signup(): Promise<void> {
    const r = await this.api.signup({ email: this.email, phone: this.phone, password: this.password }, this.source);
    this.userId = r.userId;
    this.token = r.token;
    this.expiresAt = this.api.now() + DAY / 2;
  }

  /** The latest one-time code sent to a phone (a user's own, or a victim's whose SIM the attacker holds). */
  async latestCode(phone: string): Promise<string | undefined> {
    const messages = await this.api.messagesTo(phone);
    for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.code) return messages[i]!.code ?? undefined;
    return undefined;
  }

  async confirmPhone(mistype = false): Promise<void> {
    if (mistype) await this.as((c) => this.api.confirmPhone(c, '000000')).catch(() => undefined);
    const code = (await this.latestCode(this.phone)) ?? '';
    await this.as((c) => this.api.confirmPhone(c, code));
  }

  /**
   * A request as this person, signed in: an app keeps its session for half a day and signs in again after; a
   * session the server no longer knows (401 `unauthorized`) is signed in again once.
   */
  async as<T>(f: (c: Caller) => Promise<T>): Promise<T> {
    if (this.api.now() >= this.expiresAt - 60_000) await this.login();
    try {
      return await f({ token: this.token, source: this.source });
    } catch (e) {
      if (codeOf(e) !== 'unauthorized') throw e;
      await this.login();
      return f({ token: this.token, source: this.source });
    }
  }

  private async login(): Promise<void> {
    this.token = (await this.api.login(this.email, this.password, this.source)).token;
    this.expiresAt = this.api.now() + DAY / 2;
  }

  /** A second factor's SMS code, sent to the confirmed phone and read off it. */
  async requestCode(): Promise<string> {
    await this.as((c) => this.api.sendStepUpSms(c));
    return (await this.latestCode(this.phone)) ?? '';
  }

  /** A fresh second factor for the session (before linking or changing the phone). */
  async stepUp(): Promise<void> {
    const code = await this.requestCode();
    await this.as((c) => this.api.stepUp(c, code));
  }
}
