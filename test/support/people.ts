import { createHmac, randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { IdentitySubmission } from '../../src/identity/index.ts';
import { call } from './http.ts';
import { newPhone, type World } from './world.ts';

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits), written out so the tests do not trust the code under test. */
export function totp(secretBase32: string, at: Date): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase())
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(
    Array.from({ length: Math.floor(bits.length / 8) }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)),
  );
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at.getTime() / 30_000)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1]! & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

export type Person = IdentitySubmission;

/** A person in the sandbox identity registry (someone whose ID document exists). */
export async function registeredPerson(
  app: FastifyInstance,
  p: Omit<Person, 'document' | 'selfie' | 'address'> & { address?: string },
): Promise<Person> {
  const document = { type: 'drivers_license', number: String(randomInt(1e11)).padStart(12, '0') };
  const address = p.address ?? '東京都千代田区1-1';
  const r = await call(app, 'POST', '/sandbox/identities', { body: { ...p, address, document } });
  if (r.status !== 201) throw new Error(`sandbox identity: ${r.status} ${r.body}`);
  return { ...p, address, document: r.json.document ?? document, selfie: r.json.selfie };
}

export interface WalletUser {
  email: string;
  phone: string;
  token: string;
  userId: string;
  secret?: string;
  headers: Record<string, string>;
}

let deviceSeq = randomInt(1_000_000);
/** Each simulated person has their own device and address (X-Forwarded-For reaches the app with trustProxy). */
export const newDevice = () => {
  const n = deviceSeq++;
  return { 'x-device-id': `dev_${n}`, 'x-forwarded-for': `198.51.${(n >> 8) & 255}.${n & 255}` };
};

export async function latestCode(app: FastifyInstance, to: string): Promise<string | undefined> {
  const r = await call(app, 'GET', `/sandbox/messages?to=${encodeURIComponent(to)}`);
  const withCode = (r.json.data as Array<{ code?: string }>).filter((m) => m.code);
  return withCode[withCode.length - 1]?.code;
}

/** Steps the session up with the SMS code sent to the user's confirmed phone (what a user without TOTP or a passkey has). */
export async function smsStepUp(
  app: FastifyInstance,
  u: { token: string; phone: string; headers: Record<string, string> },
): Promise<void> {
  await call(app, 'POST', '/v1/sessions/current/step-up/sms', { token: u.token, headers: u.headers });
  const up = await call(app, 'POST', '/v1/sessions/current/step-up', {
    token: u.token,
    headers: u.headers,
    body: { smsCode: await latestCode(app, u.phone) },
  });
  if (up.status !== 200) throw new Error(`sms step-up: ${up.status} ${up.body}`);
}

/** Sign up (and, unless told otherwise, confirm the phone, pass eKYC as `person`, and enrol TOTP). */
export async function walletUser(
  app: FastifyInstance,
  w: World,
  o: { person?: Person; confirmPhone?: boolean; totp?: boolean; phone?: string } = {},
): Promise<WalletUser> {
  const phone = o.phone ?? newPhone();
  const email = `u${randomInt(1e9)}@example.test`;
  const headers = newDevice();
  const s = await call(app, 'POST', '/v1/signup', {
    body: { email, phone, password: 'a long enough password' },
    headers,
  });
  if (s.status !== 201) throw new Error(`signup: ${s.status} ${s.body}`);
  const u: WalletUser = { email, phone, token: s.json.token, userId: s.json.user.id, headers };
  if (o.confirmPhone !== false) {
    const code = await latestCode(app, phone);
    const c = await call(app, 'POST', '/v1/me/phone/confirm', { token: u.token, body: { code }, headers });
    if (c.status !== 200) throw new Error(`phone confirm: ${c.status} ${c.body}`);
  }
  if (o.person) {
    const { familyName, givenName, familyNameKana, givenNameKana, birthDate, address, document, selfie } = o.person;
    const v = await call(app, 'POST', '/v1/identity-verifications', {
      token: u.token,
      headers,
      body: { familyName, givenName, familyNameKana, givenNameKana, birthDate, address, document, selfie },
    });
    if (v.status !== 201) throw new Error(`eKYC: ${v.status} ${v.body}`);
  }
  if (o.totp !== false) {
    // The first factor needs a step-up with the SMS code sent to the confirmed phone (a password alone is not enough).
    await smsStepUp(app, u);
    const t = await call(app, 'POST', '/v1/me/mfa/totp', { token: u.token, headers });
    u.secret = t.json.secret;
    w.clock.advance(30_000);
    const c = await call(app, 'POST', '/v1/me/mfa/totp/confirm', {
      token: u.token,
      headers,
      body: { otp: totp(u.secret!, w.clock.now()) },
    });
    if (c.status !== 200) throw new Error(`totp confirm: ${c.status} ${c.body}`);
    // Tests start from a plain session: the enrolment's step-up is spent, as if its 5 minutes had passed.
    await w.db.updateTable('sessions').set({ elevated_until: null }).where('user_id', '=', u.userId).execute();
    w.identity.forgetUser(u.userId);
  }
  return u;
}

/** A fresh second factor: a new TOTP time step each time, since codes are single-use. */
export async function stepUp(app: FastifyInstance, w: World, u: WalletUser): Promise<void> {
  w.clock.advance(30_000);
  const r = await call(app, 'POST', '/v1/sessions/current/step-up', {
    token: u.token,
    headers: u.headers,
    body: { otp: totp(u.secret!, w.clock.now()) },
  });
  if (r.status !== 200) throw new Error(`step-up: ${r.status} ${r.body}`);
}

export async function bankAccount(
  app: FastifyInstance,
  a: {
    bankCode: string;
    branchCode: string;
    holderNameKana: string;
    birthDate: string;
    pin: string;
    phone: string;
    balance?: number;
    accountType?: string;
  },
) {
  const r = await call(app, 'POST', '/sandbox/bank-accounts', {
    body: { accountType: 'ordinary', balance: 1_000_000, ...a },
  });
  if (r.status !== 201) throw new Error(`bank account: ${r.status} ${r.body}`);
  return { ...a, accountNumber: r.json.accountNumber as string };
}

export async function firstBranch(app: FastifyInstance, bankCode: string): Promise<string> {
  const r = await call(app, 'GET', `/v1/banks/${bankCode}/branches`);
  return r.json.data[0].code;
}
