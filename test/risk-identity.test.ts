import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import {
  bankAccount,
  firstBranch,
  latestCode,
  newDevice,
  registeredPerson,
  stepUp,
  totp,
  walletUser,
} from './support/people.ts';
import { type World, createWorld, newPhone } from './support/world.ts';

let keySeq = 0;
const k = () => `ri-${keySeq++}`;

/**
 * The risk engine on identity events: sign-up, sign-in, password and phone changes and eKYC are scored before they
 * apply and stored with the change; deny is 422 risk_denied with nothing created.
 */
describe.each(DATABASES)('risk on identity events on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w, { trustProxy: true });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  const typesOf = async (userId: string) =>
    (await w.db.selectFrom('risk_events').select('type').where('user_id', '=', userId).orderBy('seq').execute()).map(
      (e) => e.type,
    );

  it('a blocklisted device cannot sign up: 422 risk_denied, no user, the attempt stored', async () => {
    const headers = newDevice();
    await w.risk.addToList('op', { list: 'block', kind: 'device', value: headers['x-device-id'], reason: 'test' });
    const phone = newPhone();
    const email = `blocked-${phone}@example.test`;
    const r = await call(app, 'POST', '/v1/signup', {
      headers,
      body: { email, phone, password: 'a long enough password' },
    });
    expect([r.status, r.json.error.code]).toEqual([422, 'risk_denied']);
    expect(r.json.error.details.reasons).toEqual([{ rule: 'blocklisted', message: 'Refused by a block list.' }]);
    expect(await w.db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
    const stored = await w.db
      .selectFrom('risk_events')
      .select(['decision', 'event', 'signals'])
      .where('type', '=', 'signup')
      .where('decision', '=', 'deny')
      .execute();
    expect(stored.some((e) => JSON.parse(e.event).deviceId === headers['x-device-id'])).toBe(true);
    expect(JSON.parse(stored[0]!.signals)).toMatchObject({ blocklisted: true });
  });

  it('sign-up, sign-in and eKYC are scored and stored with their device and address', async () => {
    const p = await registeredPerson(app, {
      familyName: '佐藤',
      givenName: '一郎',
      familyNameKana: 'サトウ',
      givenNameKana: 'イチロウ',
      birthDate: '1980-03-03',
    });
    const u = await walletUser(app, w, { person: p, totp: false });
    const login = await call(app, 'POST', '/v1/sessions', {
      headers: u.headers,
      body: { email: u.email, password: 'a long enough password' },
    });
    expect(login.status).toBe(201);
    expect(await typesOf(u.userId)).toEqual(['signup', 'ekyc', 'login']);
    const signup = await w.db
      .selectFrom('risk_events')
      .select(['event', 'object_id'])
      .where('user_id', '=', u.userId)
      .where('type', '=', 'signup')
      .executeTakeFirstOrThrow();
    expect(signup.object_id).toBe(u.userId);
    expect(JSON.parse(signup.event)).toMatchObject({
      deviceId: u.headers['x-device-id'],
      ip: u.headers['x-forwarded-for'],
    });
  });

  it('password change, then a new device and a new link: the next charge is held (account_takeover)', async () => {
    const p = await registeredPerson(app, {
      familyName: '鈴木',
      givenName: '次郎',
      familyNameKana: 'スズキ',
      givenNameKana: 'ジロウ',
      birthDate: '1982-02-02',
    });
    const u = await walletUser(app, w, { person: p });
    await stepUp(app, w, u);
    const pw = await call(app, 'POST', '/v1/me/password', {
      token: u.token,
      headers: u.headers,
      body: { currentPassword: 'a long enough password', newPassword: 'another long password' },
    });
    expect(pw.status).toBe(200);
    // A new device: the attacker's.
    const fresh = { ...newDevice() };
    const list = (await call(app, 'GET', '/v1/banks?participating=true')).json.data as Array<{
      code: string;
      authMethod: string;
    }>;
    const b = list.find((x) => x.authMethod === 'otp' && x.code !== '9900')!;
    const branch = await firstBranch(app, b.code);
    const phone = newPhone();
    const acct = await bankAccount(app, {
      bankCode: b.code,
      branchCode: branch,
      holderNameKana: 'ｽｽﾞｷ ｼﾞﾛｳ',
      birthDate: '1982-02-02',
      pin: '2468',
      phone,
    });
    w.clock.advance(30_000);
    const up = await call(app, 'POST', '/v1/sessions/current/step-up', {
      token: u.token,
      headers: fresh,
      body: { otp: totp(u.secret!, w.clock.now()) },
    });
    expect(up.status).toBe(200);
    const c = await call(app, 'POST', '/v1/bank-links', {
      token: u.token,
      headers: fresh,
      body: { bankCode: b.code, branchCode: branch, accountNumber: acct.accountNumber },
    });
    expect(c.status).toBe(201);
    const url = `/v1/bank-links/${c.json.id}/authorize`;
    await call(app, 'POST', url, { token: u.token, headers: fresh, body: { pin: '2468' } });
    const otp = await latestCode(app, phone);
    const done = await call(app, 'POST', url, { token: u.token, headers: fresh, body: { pin: '2468', otp } });
    expect(done.json.status).toBe('active');
    const ch = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      key: k(),
      headers: fresh,
      body: { bankLinkId: c.json.id, amount: 5_000 },
    });
    expect(ch.status).toBe(201);
    expect(ch.json).toMatchObject({ status: 'in_review', risk: { decision: 'review' } });
    expect(ch.json.risk.reasons.map((r: { rule: string }) => r.rule)).toContain('account_takeover');
    const types = await typesOf(u.userId);
    expect(types).toContain('password_change');
    const change = await w.db
      .selectFrom('risk_events')
      .select(['object_id', 'signals'])
      .where('user_id', '=', u.userId)
      .where('type', '=', 'password_change')
      .executeTakeFirstOrThrow();
    expect(change.object_id).toBe(u.userId);
    expect(JSON.parse(change.signals)).toHaveProperty('deviceAgeHours');
  });

  it('a phone change is scored and stored', async () => {
    const u = await walletUser(app, w, {});
    await stepUp(app, w, u);
    const r = await call(app, 'POST', '/v1/me/phone', {
      token: u.token,
      headers: u.headers,
      body: { phone: newPhone() },
    });
    expect(r.status).toBe(200);
    expect(await typesOf(u.userId)).toContain('phone_change');
  });
});
