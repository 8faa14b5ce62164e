import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from './support/databases.ts';
import { softwareAuthenticator } from './support/authenticator.ts';
import { call, httpApp } from './support/http.ts';
import { smsStepUp, walletUser } from './support/people.ts';
import { type World, createWorld } from './support/world.ts';

const ORIGIN = 'http://localhost:3000';

describe.each(DATABASES)('passkeys on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  beforeAll(async () => {
    w = await createWorld(kind, { relyingParty: { id: 'localhost', name: 'Saifu', origin: ORIGIN } });
    app = await httpApp(w, { trustProxy: true });
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  it('registers a passkey and steps up with it; a tampered signature, a replay or a foreign origin is refused', async () => {
    const u = await walletUser(app, w, { totp: false });
    await smsStepUp(app, u);
    const device = softwareAuthenticator(ORIGIN, 'localhost');
    const options = await call(app, 'POST', '/v1/me/passkeys/registration-options', {
      token: u.token,
      headers: u.headers,
    });
    expect(options.json).toMatchObject({ rp: { id: 'localhost' }, attestation: 'none' });
    const reg = await call(app, 'POST', '/v1/me/passkeys', {
      token: u.token,
      headers: u.headers,
      body: device.create(options.json),
    });
    expect(reg.status, reg.body).toBe(201);
    expect((await call(app, 'GET', '/v1/me', { token: u.token })).json.mfa).toEqual({ totp: false, passkeys: 1 });

    const stepUp = (passkey: unknown) =>
      call(app, 'POST', '/v1/sessions/current/step-up', { token: u.token, headers: u.headers, body: { passkey } });
    const challenge = async () =>
      (await call(app, 'POST', '/v1/sessions/current/step-up/passkey-options', { token: u.token, headers: u.headers }))
        .json;

    const bad = await stepUp(device.get(await challenge(), true));
    expect([bad.status, bad.json.error.code]).toEqual([400, 'passkey_failed']);
    const opts = await challenge();
    const assertion = device.get(opts);
    const ok = await stepUp(assertion);
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json.elevatedUntil).toBeDefined();
    expect((await stepUp(assertion)).json.error.code).toBe('passkey_failed');
    const elsewhere = softwareAuthenticator('https://evil.example', 'localhost');
    expect((await stepUp(elsewhere.get(await challenge()))).json.error.code).toBe('passkey_failed');
  });

  it('a registration answering no pending challenge is refused', async () => {
    const u = await walletUser(app, w, { totp: false });
    await smsStepUp(app, u);
    const device = softwareAuthenticator(ORIGIN, 'localhost');
    const r = await call(app, 'POST', '/v1/me/passkeys', {
      token: u.token,
      headers: u.headers,
      body: device.create({ challenge: 'bm90LWEtY2hhbGxlbmdl' }),
    });
    expect([r.status, r.json.error.code]).toEqual([400, 'passkey_failed']);
    const noKeys = await call(app, 'POST', '/v1/sessions/current/step-up/passkey-options', {
      token: u.token,
      headers: u.headers,
    });
    expect(noKeys.json.error.code).toBe('mfa_not_enrolled');
  });
});
