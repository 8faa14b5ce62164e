import { listBranches } from '../banks/index.ts';
import type { SimApi, SimLink, SimSubmission } from './api.ts';
import { type PersonName, birthDateOf, nameOf } from './names.ts';
import { type SimSession, codeOf } from './session.ts';

/** A person in the simulated world: their name, birth date, phone, and the ID document they hold. */
export interface Person extends PersonName {
  birthDate: string;
  phone: string;
}

export const personOf = (n: number, phone: string): Person => ({
  ...nameOf(n),
  birthDate: birthDateOf(n * 7 + 3),
  phone,
});

/** Phone numbers by population, so no two people share one by accident. */
export const phoneOf = (prefix: '090' | '080' | '070', n: number): string => `${prefix}${String(n).padStart(8, '0')}`;

export interface BankAccount {
  bankCode: string;
  branchCode: string;
  accountNumber: string;
  pin: string;
  holderNameKana: string;
  birthDate: string;
  phone: string;
}

/** Opens a sandbox bank account (the real world's bank, not a Saifu table). */
export async function openBankAccount(
  w: SimApi,
  p: { holderNameKana: string; birthDate: string; phone: string },
  bankCode: string,
  pin: string,
  balance: number,
): Promise<BankAccount> {
  const branchCode = listBranches(bankCode)?.[0]?.code ?? '001';
  const { accountNumber } = await w.openBankAccount({
    bankCode,
    branchCode,
    holderNameKana: p.holderNameKana,
    birthDate: p.birthDate,
    pin,
    phone: p.phone,
    balance,
  });
  return {
    bankCode,
    branchCode,
    accountNumber,
    pin,
    holderNameKana: p.holderNameKana,
    birthDate: p.birthDate,
    phone: p.phone,
  };
}

/** Registers an ID document in the sandbox registry (`forged` = one a provider can tell is counterfeit). */
export async function idDocument(w: SimApi, p: Person, serial: string, forged = false): Promise<SimSubmission> {
  const address = '東京都千代田区1-1';
  const document = { type: 'drivers_license' as const, number: serial.padStart(12, '0') };
  const { selfie } = await w.registerIdentity({
    familyName: p.familyName,
    givenName: p.givenName,
    familyNameKana: p.familyNameKana,
    givenNameKana: p.givenNameKana,
    birthDate: p.birthDate,
    address,
    document,
    forged,
  });
  const { familyName, givenName, familyNameKana, givenNameKana, birthDate } = p;
  return { familyName, givenName, familyNameKana, givenNameKana, birthDate, address, document, selfie };
}

/** Submits eKYC; the error code (or `ekyc_<reason>`) when it did not verify. */
export async function verifyIdentity(w: SimApi, s: SimSession, sub: SimSubmission): Promise<string | undefined> {
  try {
    const r = await s.as((c) => w.submitIdentity(c, sub));
    return r.status === 'verified' ? undefined : `ekyc_${r.reasons[0] ?? 'rejected'}`;
  } catch (e) {
    return codeOf(e);
  }
}

/**
 * The linking flow as a person goes through it: start, PIN (and birth date for legacy_pin banks), then the code the
 * bank texts to `otpPhone` (the holder's phone; the attacker reads it only when they hold the SIM). Returns the link
 * or the code that refused it (`otp_unavailable` when a code was needed and not readable).
 */
export async function linkAccount(
  w: SimApi,
  s: SimSession,
  a: BankAccount,
  o: { pin?: string; otpPhone?: string | undefined; mistypePin?: boolean; mistypeOtp?: boolean; stepUp: boolean },
): Promise<{ link?: SimLink; code?: string }> {
  try {
    if (o.stepUp) await s.stepUp();
    const ref = { bankCode: a.bankCode, branchCode: a.branchCode, accountNumber: a.accountNumber };
    let link = await s.as((c) => w.startLink(c, ref));
    const id = link.id;
    const authorize = (body: { pin?: string; birthDate?: string; otp?: string }) =>
      s.as((c) => w.authorizeLink(c, id, body));
    const pin = o.pin ?? a.pin;
    if (o.mistypePin) link = await authorize({ pin: wrong(pin), birthDate: a.birthDate });
    if (link.status === 'pending_authorization' && link.authorization?.step === 'pin')
      link = await authorize({ pin, birthDate: a.birthDate });
    // Still asking for the PIN: the bank said no (a wrong PIN); the authorization lapses on its own.
    if (link.status === 'pending_authorization' && link.authorization?.step === 'pin')
      return { link, code: 'bank_auth_failed' };
    if (link.status === 'pending_authorization' && link.authorization?.step === 'otp') {
      const otp = o.otpPhone ? await s.latestCode(o.otpPhone) : undefined;
      if (!otp) return { link, code: 'otp_unavailable' };
      if (o.mistypeOtp) link = await authorize({ otp: wrong(otp) });
      if (link.status === 'pending_authorization') link = await authorize({ otp });
    }
    if (link.status === 'active') return { link };
    return { link, code: link.status === 'in_review' ? 'in_review' : (link.failureCode ?? link.status) };
  } catch (e) {
    return { code: codeOf(e) };
  }
}

const wrong = (secret: string) => secret.replace(/.$/, (c) => String((Number(c) + 1) % 10));

export { nameOf };
