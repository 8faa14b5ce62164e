import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softwareAuthenticator } from './support/authenticator.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import {
  latestCode,
  newDevice,
  registeredPerson,
  smsStepUp,
  totp,
  walletUser,
  type WalletUser,
} from './support/people.ts';
import { type World, createWorld, newPhone } from './support/world.ts';

const ORIGIN = 'http://localhost:3000';
const PASSWORD = 'a long enough password';
const DAY_MS = 24 * 3600 * 1000;

describe.each(DATABASES)('account security on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  beforeAll(async () => {
    w = await createWorld(kind, { secretKey: 'test-secret-test-secret-test-secret-0002' });
    app = await httpApp(w, { trustProxy: true });
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  const as = (u: WalletUser) => ({ token: u.token, headers: u.headers });
  const inbox = async (to: string) =>
    (await call(app, 'GET', `/sandbox/messages?to=${encodeURIComponent(to)}`)).json.data as Array<{
      channel: string;
      body: string;
    }>;
  const told = async (to: string, words: string) => (await inbox(to)).some((m) => m.body.includes(words));
  const holdOf = async (userId: string) => (await w.identity.getUser(userId)).securityHoldUntil;
  const totpStepUp = async (u: WalletUser) => {
    w.clock.advance(30_000);
    const r = await call(app, 'POST', '/v1/sessions/current/step-up', {
      ...as(u),
      body: { otp: totp(u.secret!, w.clock.now()) },
    });
    expect(r.status, r.body).toBe(200);
  };

  it('the new endpoints are in the OpenAPI document', async () => {
    const paths = Object.keys((await call(app, 'GET', '/openapi.json')).json.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/me/mfa/totp',
        '/v1/me/passkeys',
        '/v1/me/passkeys/{id}',
        '/v1/me/password',
        '/v1/me/email',
        '/v1/me/phone',
      ]),
    );
  });

  describe('a password alone takes nothing', () => {
    it('a fresh sign-in cannot enrol TOTP or start a passkey: the first factor needs the SMS step-up', async () => {
      const u = await walletUser(app, w, { totp: false });
      const begin = await call(app, 'POST', '/v1/me/mfa/totp', as(u));
      expect([begin.status, begin.json.error.code, begin.json.error.details.with]).toEqual([
        403,
        'step_up_required',
        ['smsCode'],
      ]);
      const options = await call(app, 'POST', '/v1/me/passkeys/registration-options', as(u));
      expect([options.status, options.json.error.code]).toEqual([403, 'step_up_required']);
      const confirm = await call(app, 'POST', '/v1/me/mfa/totp/confirm', { ...as(u), body: { otp: '123456' } });
      expect([confirm.status, confirm.json.error.code]).toEqual([403, 'step_up_required']);
      expect((await call(app, 'GET', '/v1/me', { token: u.token })).json.mfa).toEqual({ totp: false, passkeys: 0 });
    });

    it('with the SMS step-up the first TOTP is enrolled without a hold, and the user is told on both channels', async () => {
      const u = await walletUser(app, w, { totp: false });
      await smsStepUp(app, u);
      const begin = await call(app, 'POST', '/v1/me/mfa/totp', as(u));
      expect(begin.status, begin.body).toBe(200);
      w.clock.advance(30_000);
      const confirm = await call(app, 'POST', '/v1/me/mfa/totp/confirm', {
        ...as(u),
        body: { otp: totp(begin.json.secret, w.clock.now()) },
      });
      expect(confirm.status, confirm.body).toBe(200);
      expect(await holdOf(u.userId)).toBeNull();
      expect(await told(u.phone, 'authenticator app was added')).toBe(true);
      expect(await told(u.email, 'authenticator app was added')).toBe(true);
    });

    it('the step-up must still hold when TOTP enrolment is confirmed', async () => {
      const u = await walletUser(app, w, { totp: false });
      await smsStepUp(app, u);
      const begin = await call(app, 'POST', '/v1/me/mfa/totp', as(u));
      w.clock.advance(5 * 60_000 + 1);
      const confirm = await call(app, 'POST', '/v1/me/mfa/totp/confirm', {
        ...as(u),
        body: { otp: totp(begin.json.secret, w.clock.now()) },
      });
      expect([confirm.status, confirm.json.error.code]).toEqual([403, 'step_up_required']);
      expect((await call(app, 'GET', '/v1/me', { token: u.token })).json.mfa.totp).toBe(false);
    });

    it('once TOTP exists, an SMS step-up no longer changes anything: TOTP (or a passkey) is needed', async () => {
      const u = await walletUser(app, w);
      await smsStepUp(app, u);
      const remove = await call(app, 'DELETE', '/v1/me/mfa/totp', as(u));
      expect([remove.status, remove.json.error.code, remove.json.error.details.with]).toEqual([
        403,
        'step_up_required',
        ['otp'],
      ]);
      const options = await call(app, 'POST', '/v1/me/passkeys/registration-options', as(u));
      expect(options.json.error.code).toBe('step_up_required');
      const pw = await call(app, 'POST', '/v1/me/password', {
        ...as(u),
        body: { currentPassword: PASSWORD, newPassword: 'another long password' },
      });
      expect(pw.json.error.code).toBe('step_up_required');
      expect(await holdOf(u.userId)).toBeNull();
    });
  });

  it('removing TOTP needs a TOTP step-up, holds the account for 24 hours and tells the user', async () => {
    const u = await walletUser(app, w);
    await totpStepUp(u);
    const r = await call(app, 'DELETE', '/v1/me/mfa/totp', as(u));
    expect(r.status, r.body).toBe(204);
    expect((await call(app, 'GET', '/v1/me', { token: u.token })).json.mfa).toEqual({ totp: false, passkeys: 0 });
    expect(await holdOf(u.userId)).toBe(new Date(w.clock.now().getTime() + DAY_MS).toISOString());
    expect(await told(u.phone, 'authenticator app was removed')).toBe(true);
    expect(await told(u.email, 'authenticator app was removed')).toBe(true);
    expect((await call(app, 'DELETE', '/v1/me/mfa/totp', as(u))).json.error.code).toBe('mfa_not_enrolled');
  });

  it('passkeys: listed with their dates; removing one needs a passkey step-up, then holds and tells', async () => {
    const u = await walletUser(app, w, { totp: false });
    await smsStepUp(app, u);
    const device = softwareAuthenticator(ORIGIN, 'localhost');
    const options = await call(app, 'POST', '/v1/me/passkeys/registration-options', as(u));
    const reg = await call(app, 'POST', '/v1/me/passkeys', { ...as(u), body: device.create(options.json) });
    expect(reg.status, reg.body).toBe(201);
    expect(await holdOf(u.userId)).toBeNull();
    expect(await told(u.email, 'passkey was added')).toBe(true);
    const list = await call(app, 'GET', '/v1/me/passkeys', { token: u.token });
    expect(list.json.data).toEqual([{ id: reg.json.id, createdAt: w.clock.now().toISOString(), lastUsedAt: null }]);

    // The SMS step-up from before does not count now that a passkey exists.
    const refused = await call(app, 'DELETE', `/v1/me/passkeys/${encodeURIComponent(reg.json.id)}`, as(u));
    expect([refused.status, refused.json.error.code, refused.json.error.details.with]).toEqual([
      403,
      'step_up_required',
      ['passkey'],
    ]);
    const challenge = (await call(app, 'POST', '/v1/sessions/current/step-up/passkey-options', as(u))).json;
    expect(
      (await call(app, 'POST', '/v1/sessions/current/step-up', { ...as(u), body: { passkey: device.get(challenge) } }))
        .status,
    ).toBe(200);
    expect((await call(app, 'GET', '/v1/me/passkeys', { token: u.token })).json.data[0].lastUsedAt).toBe(
      w.clock.now().toISOString(),
    );
    expect((await call(app, 'DELETE', '/v1/me/passkeys/pk_not_mine', as(u))).status).toBe(404);
    const removed = await call(app, 'DELETE', `/v1/me/passkeys/${encodeURIComponent(reg.json.id)}`, as(u));
    expect(removed.status, removed.body).toBe(204);
    expect((await call(app, 'GET', '/v1/me/passkeys', { token: u.token })).json.data).toEqual([]);
    expect(await holdOf(u.userId)).not.toBeNull();
    expect(await told(u.phone, 'passkey was removed')).toBe(true);
  });

  it('a passkey registration is refused once the step-up has lapsed', async () => {
    const u = await walletUser(app, w, { totp: false });
    await smsStepUp(app, u);
    const device = softwareAuthenticator(ORIGIN, 'localhost');
    const options = await call(app, 'POST', '/v1/me/passkeys/registration-options', as(u));
    w.clock.advance(5 * 60_000 + 1);
    const reg = await call(app, 'POST', '/v1/me/passkeys', { ...as(u), body: device.create(options.json) });
    expect([reg.status, reg.json.error.code]).toEqual([403, 'step_up_required']);
    expect((await call(app, 'GET', '/v1/me/passkeys', { token: u.token })).json.data).toEqual([]);
  });

  it('password: needs the current one and a step-up; other sessions end; the user is told', async () => {
    const u = await walletUser(app, w);
    w.clock.advance(30_000);
    const other = await call(app, 'POST', '/v1/sessions', {
      headers: newDevice(),
      body: { email: u.email, password: PASSWORD, otp: totp(u.secret!, w.clock.now()) },
    });
    expect(other.status, other.body).toBe(201);
    await totpStepUp(u);
    const wrong = await call(app, 'POST', '/v1/me/password', {
      ...as(u),
      body: { currentPassword: 'not my password', newPassword: 'another long password' },
    });
    expect([wrong.status, wrong.json.error.code]).toEqual([401, 'invalid_credentials']);
    const ok = await call(app, 'POST', '/v1/me/password', {
      ...as(u),
      body: { currentPassword: PASSWORD, newPassword: 'another long password' },
    });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json.user.securityHoldUntil).toBe(new Date(w.clock.now().getTime() + DAY_MS).toISOString());
    expect((await call(app, 'GET', '/v1/me', { token: other.json.token })).status).toBe(401);
    expect((await call(app, 'GET', '/v1/me', { token: u.token })).status).toBe(200);
    w.clock.advance(30_000);
    const signIn = await call(app, 'POST', '/v1/sessions', {
      headers: newDevice(),
      body: { email: u.email, password: 'another long password', otp: totp(u.secret!, w.clock.now()) },
    });
    expect(signIn.status, signIn.body).toBe(201);
    expect(await told(u.email, 'password of your Saifu account was changed')).toBe(true);
    expect(await told(u.phone, 'password of your Saifu account was changed')).toBe(true);
  });

  it('email: both addresses are told; an address in use answers contact_unavailable and its owner hears of it', async () => {
    const u = await walletUser(app, w, { totp: false });
    const taken = await walletUser(app, w, { totp: false });
    const denied = await call(app, 'POST', '/v1/me/email', { ...as(u), body: { email: 'someone@example.test' } });
    expect([denied.status, denied.json.error.code]).toEqual([403, 'step_up_required']);
    await smsStepUp(app, u);
    const clash = await call(app, 'POST', '/v1/me/email', { ...as(u), body: { email: taken.email.toUpperCase() } });
    expect([clash.status, clash.json.error.code]).toEqual([409, 'contact_unavailable']);
    expect(await told(taken.email, 'someone tried to move this email address')).toBe(true);
    expect(await holdOf(u.userId)).toBeNull();
    const newEmail = `moved-${u.userId.toLowerCase()}@example.test`;
    const ok = await call(app, 'POST', '/v1/me/email', { ...as(u), body: { email: newEmail } });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json.user).toMatchObject({
      email: newEmail,
      securityHoldUntil: new Date(w.clock.now().getTime() + DAY_MS).toISOString(),
    });
    expect(await told(u.email, 'email address of your Saifu account was changed')).toBe(true);
    expect(await told(newEmail, 'email address of your Saifu account was changed')).toBe(true);
    expect(await told(u.phone, 'email address of your Saifu account was changed')).toBe(true);
  });

  it('phone: the new number starts unconfirmed with a code sent to it; both numbers are told', async () => {
    const u = await walletUser(app, w, { totp: false });
    const taken = await walletUser(app, w, { totp: false });
    await smsStepUp(app, u);
    const clash = await call(app, 'POST', '/v1/me/phone', { ...as(u), body: { phone: taken.phone } });
    expect([clash.status, clash.json.error.code]).toEqual([409, 'contact_unavailable']);
    expect(await told(taken.phone, 'someone tried to move this phone number')).toBe(true);
    const phone = newPhone();
    const ok = await call(app, 'POST', '/v1/me/phone', { ...as(u), body: { phone } });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json.user).toMatchObject({ phone, phoneConfirmed: false });
    expect(ok.json.user.securityHoldUntil).not.toBeNull();
    expect(await told(u.phone, 'phone number of your Saifu account was changed')).toBe(true);
    expect(await told(phone, 'phone number of your Saifu account was changed')).toBe(true);
    expect(await told(u.email, 'phone number of your Saifu account was changed')).toBe(true);
    const confirmed = await call(app, 'POST', '/v1/me/phone/confirm', {
      ...as(u),
      body: { code: await latestCode(app, phone) },
    });
    expect(confirmed.json.user).toMatchObject({ phone, phoneConfirmed: true });
  });

  describe('sign-up does not say which field is taken', () => {
    it('one answer for a used email or phone; the owner is told', async () => {
      const u = await walletUser(app, w, { totp: false });
      const byEmail = await call(app, 'POST', '/v1/signup', {
        headers: newDevice(),
        body: { email: u.email, phone: newPhone(), password: PASSWORD },
      });
      const byPhone = await call(app, 'POST', '/v1/signup', {
        headers: newDevice(),
        body: { email: `fresh-${u.userId.toLowerCase()}@example.test`, phone: u.phone, password: PASSWORD },
      });
      expect([byEmail.status, byEmail.json.error.code]).toEqual([409, 'signup_conflict']);
      expect(byPhone.json).toEqual(byEmail.json);
      expect(byEmail.json.error.details).toBeUndefined();
      expect(await told(u.email, 'someone tried to open a new Saifu account with this email')).toBe(true);
      expect(await told(u.phone, 'someone tried to open a new Saifu account with this phone')).toBe(true);
    });

    it('at most 10 sign-ups an hour from one address, whatever device id it claims', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const phone = newPhone();
        const r = await call(app, 'POST', '/v1/signup', {
          headers: { 'x-forwarded-for': '203.0.113.200', 'x-device-id': `probe-${i}` },
          body: { email: `probe-${phone}@example.test`, phone, password: PASSWORD },
        });
        statuses.push(r.status);
      }
      expect(statuses).toEqual([...Array(10).fill(201), 429]);
    });
  });

  describe('one identity document verifies one wallet', () => {
    const person = () =>
      registeredPerson(app, {
        familyName: '佐藤',
        givenName: '一郎',
        familyNameKana: 'サトウ',
        givenNameKana: 'イチロウ',
        birthDate: '1980-01-02',
      });

    it('a second wallet with the same document is rejected with document_already_used, unless an operator allows more', async () => {
      const p = await person();
      const [a, b, c] = [
        await walletUser(app, w, { totp: false }),
        await walletUser(app, w, { totp: false }),
        await walletUser(app, w, { totp: false }),
      ];
      const submit = (u: WalletUser) => call(app, 'POST', '/v1/identity-verifications', { ...as(u), body: p });
      expect((await submit(a)).json).toMatchObject({ status: 'verified', reasons: [] });
      const second = await submit(b);
      expect(second.status).toBe(201);
      expect(second.json).toMatchObject({ status: 'rejected', reasons: ['document_already_used'] });
      expect((await call(app, 'GET', '/v1/me', { token: b.token })).json.verification).toBe('rejected');

      await expect(w.ekyc.allowDocumentReuse('op_1', { userId: b.userId }, 2, '  ')).rejects.toMatchObject({
        code: 'reason_required',
      });
      const allowed = await w.ekyc.allowDocumentReuse(
        'op_1',
        { userId: b.userId },
        2,
        'lost access to the first wallet, checked by phone',
      );
      const audit = await w.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'identity.document_reuse_allowed')
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: 'op_1', target: allowed.documentHash });
      expect(JSON.stringify(audit[0])).not.toContain(p.document.number);
      expect((await submit(b)).json).toMatchObject({ status: 'verified' });
      const third = await submit(c);
      expect(third.json).toMatchObject({ status: 'rejected', reasons: ['document_already_used'] });
      const stored = await w.db
        .selectFrom('identity_verifications')
        .select(['document_hash', 'document_slot', 'status'])
        .where('user_id', 'in', [a.userId, b.userId])
        .where('status', '=', 'verified')
        .orderBy('document_slot')
        .execute();
      expect(stored.map((r) => r.document_slot)).toEqual([1, 2]);
      expect(stored[0]!.document_hash).toBe(allowed.documentHash);
    });

    it('two wallets racing with one document: exactly one is verified, every time', async () => {
      for (let round = 0; round < 10; round++) {
        const p = await person();
        const users = await Promise.all(
          [0, 1].map(async () => {
            const phone = newPhone();
            const { user } = await w.identity.signup({
              email: `race-${phone}@example.test`,
              phone,
              password: PASSWORD,
            });
            await w.identity.markPhoneConfirmed(user.id);
            return w.identity.getUser(user.id);
          }),
        );
        const results = await Promise.all(users.map((u) => w.ekyc.submit(u, p)));
        expect(results.map((r) => r.status).sort()).toEqual(['rejected', 'verified']);
        expect(results.find((r) => r.status === 'rejected')!.reasons).toEqual(['document_already_used']);
      }
    });
  });
});
