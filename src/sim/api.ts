import type { IdentitySubmission } from '../identity/index.ts';
import type { BankAccount } from './people.ts';

/** Where a simulated person's requests come from: what the defences see (X-Device-Id and the client's IP). */
export interface Source {
  deviceId: string;
  ip: string;
}

/** A signed-in person's request: their session token and where it comes from. */
export interface Caller {
  token: string;
  source: Source;
}

export type MoneyKind = 'charge' | 'payment' | 'transfer' | 'withdrawal';

/** A money object as the API returns it (the fields the simulated people look at). */
export interface SimMoneyObject {
  id: string;
  status: string;
  risk: { decision: string; reasons: Array<{ rule: string }> };
}

/** A bank link as the API returns it (the fields the simulated people look at). */
export interface SimLink {
  id: string;
  status: string;
  failureCode?: string | null;
  authorization?: { step?: string } | null;
  risk: { reasons: Array<{ rule: string }> };
}

export interface SimMessage {
  channel: string;
  body: string;
  code?: string | null;
  createdAt: string;
}

export interface SimStatementLine {
  reference: string;
  amount: number;
  createdAt: string;
}

/** A person in the sandbox identity registry: what eKYC is shown, and whether the document is a detectable forgery. */
export type SimIdentityInput = Omit<IdentitySubmission, 'selfie'> & { forged: boolean };

/** What eKYC receives: the identity's fields and the selfie token the registry handed back. */
export type SimSubmission = IdentitySubmission;

/**
 * Everything the simulated people do, and the sandbox world around them (banks, phones, the identity registry,
 * the clock): one face, two ways through. In-process (`in-process.ts`) calls Saifu's use cases over its database;
 * over HTTP (`http-api.ts`) it sends the requests a real client sends to a running server. A refusal is thrown
 * as an error with the API's `code`, the same code either way.
 */
export interface SimApi {
  /**
   * Why the world can no longer be driven (a `--target` server that stopped answering), once it happens: the run
   * stops there with that line instead of counting every later step as refused.
   */
  broken(): string | undefined;
  /** The simulated time (ms). */
  now(): number;
  /** Moves the world's clock forward to `at` (never back). */
  setClock(at: number): Promise<void>;
  advance(ms: number): Promise<void>;

  signup(
    i: { email: string; phone: string; password: string },
    source: Source,
  ): Promise<{ userId: string; token: string }>;
  login(email: string, password: string, source: Source): Promise<{ token: string }>;
  confirmPhone(c: Caller, code: string): Promise<void>;
  /** A session step-up by SMS: the code goes to the confirmed phone; `stepUp` gives it back. */
  sendStepUpSms(c: Caller): Promise<void>;
  stepUp(c: Caller, smsCode: string): Promise<void>;
  changePhone(c: Caller, phone: string): Promise<void>;
  submitIdentity(c: Caller, s: SimSubmission): Promise<{ status: string; reasons: string[] }>;
  startLink(c: Caller, ref: { bankCode: string; branchCode: string; accountNumber: string }): Promise<SimLink>;
  authorizeLink(c: Caller, id: string, body: { pin?: string; birthDate?: string; otp?: string }): Promise<SimLink>;
  createMoney(c: Caller, kind: MoneyKind, target: string, yen: number): Promise<SimMoneyObject>;
  /** Completes a `requires_action` object with the SMS code sent by `sendStepUpSms` (the route's `{smsCode}`). */
  confirmMoney(c: Caller, kind: MoneyKind, id: string, smsCode: string): Promise<{ status: string }>;

  /** The sandbox: phones' messages, banks, the identity registry, merchants, holders' reports. */
  messagesTo(phone: string): Promise<SimMessage[]>;
  openBankAccount(i: {
    bankCode: string;
    branchCode: string;
    holderNameKana: string;
    birthDate: string;
    pin: string;
    phone: string;
    balance: number;
  }): Promise<{ accountNumber: string }>;
  registerIdentity(i: SimIdentityInput): Promise<{ selfie: string }>;
  statement(a: BankAccount): Promise<SimStatementLine[]>;
  reportUnauthorized(a: BankAccount, reference?: string): Promise<void>;
  createMerchant(name: string): Promise<{ id: string }>;
}

/** A refusal, with the API's error code (what `codeOf` reads). */
export class SimApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The `--target` server cannot be driven (unreachable, wall clock, not empty): the command prints it as one line. */
export class SimTargetError extends Error {}
