import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { buildApp } from '../src/http/index.ts';
import { startPlatform } from '../src/main.ts';
import { ManualClock } from '../src/platform/index.ts';
import { createServices } from '../src/services.ts';
import { DATABASES, freshDatabase } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { type World, createWorld, newPhone } from './support/world.ts';

const START = '2026-11-10T03:00:00.000Z';
const DAY = 24 * 60 * 60 * 1000;

describe.each(DATABASES)('the sandbox clock on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const clockNow = async () => (await call(app, 'GET', '/sandbox/clock')).json.now as string;
  const signup = async () => {
    const phone = newPhone();
    const r = await call(app, 'POST', '/v1/signup', {
      body: { email: `${phone}@example.test`, phone, password: 'correct horse battery staple' },
    });
    expect(r.status, r.body).toBe(201);
    const sms = (await call(app, 'GET', `/sandbox/messages?to=${phone}`)).json.data;
    return { token: r.json.token as string, user: r.json.user, sms: sms.at(-1) };
  };

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w);
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  it('GET answers the server time and that it is simulated', async () => {
    const r = await call(app, 'GET', '/sandbox/clock');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ now: START, manual: true });
  });

  it('advanceMs moves the clock forward, and what happens next is stamped with the moved time', async () => {
    const before = await signup();
    expect(before.user.createdAt).toBe(START);
    const r = await call(app, 'POST', '/sandbox/clock', { body: { advanceMs: 90 * 60 * 1000 } });
    expect([r.status, r.json]).toEqual([200, { now: '2026-11-10T04:30:00.000Z', manual: true }]);
    expect(w.clock.now().toISOString()).toBe('2026-11-10T04:30:00.000Z');
    const after = await signup();
    expect(after.user.createdAt).toBe('2026-11-10T04:30:00.000Z');
    expect(after.sms).toMatchObject({ channel: 'sms', createdAt: '2026-11-10T04:30:00.000Z' });
  });

  it('to sets the clock to a moment (any offset), and decisions follow it: a phone code expires on simulated time', async () => {
    const fresh = await signup();
    const stale = await signup();
    expect(
      (await call(app, 'POST', '/v1/me/phone/confirm', { token: fresh.token, body: { code: fresh.sms.code } })).status,
    ).toBe(200);
    // Phone codes live 10 minutes: eleven simulated minutes later the other one no longer works.
    const later = new Date(w.clock.now().getTime() + 11 * 60 * 1000);
    const r = await call(app, 'POST', '/sandbox/clock', { body: { to: later.toISOString() } });
    expect([r.status, r.json]).toEqual([200, { now: later.toISOString(), manual: true }]);
    const confirm = await call(app, 'POST', '/v1/me/phone/confirm', {
      token: stale.token,
      body: { code: stale.sms.code },
    });
    expect(confirm.status, confirm.body).toBe(400);
    expect(confirm.json.error.code).toBe('invalid_otp');

    const tokyo = await call(app, 'POST', '/sandbox/clock', { body: { to: '2026-12-01T09:00:00+09:00' } });
    expect(tokyo.json).toEqual({ now: '2026-12-01T00:00:00.000Z', manual: true });
    // The same moment again is not backwards: nothing moves.
    const same = await call(app, 'POST', '/sandbox/clock', { body: { to: '2026-12-01T00:00:00Z' } });
    expect([same.status, same.json.now]).toEqual([200, '2026-12-01T00:00:00.000Z']);
  });

  it('a moment earlier than now is 422 clock_backwards and the clock stays', async () => {
    const now = await clockNow();
    const r = await call(app, 'POST', '/sandbox/clock', {
      body: { to: new Date(new Date(now).getTime() - 1).toISOString() },
    });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: 'clock_backwards', details: { now } });
    expect(await clockNow()).toBe(now);
  });

  it.each([
    ['neither field', {}],
    ['both fields', { to: '2027-01-01T00:00:00Z', advanceMs: 1000 }],
    ['an unknown field', { advanceMs: 1000, days: 1 }],
    ['advanceMs 0', { advanceMs: 0 }],
    ['a negative advanceMs', { advanceMs: -1000 }],
    ['a fractional advanceMs', { advanceMs: 1.5 }],
    ['advanceMs as a string', { advanceMs: '1000' }],
    ['more than 366 days', { advanceMs: 366 * DAY + 1 }],
    ['a date without a time', { to: '2027-01-01' }],
    ['a time that is not ISO 8601', { to: 'tomorrow' }],
  ])('%s is 400 invalid_request and the clock stays', async (_what, body) => {
    const now = await clockNow();
    const r = await call(app, 'POST', '/sandbox/clock', { body });
    expect(r.status, r.body).toBe(400);
    expect(r.json.error.code).toBe('invalid_request');
    expect(await clockNow()).toBe(now);
  });

  it('no body at all is 400 too; 366 days is the longest step', async () => {
    const bare = await app.inject({ method: 'POST', url: '/sandbox/clock' });
    expect([bare.statusCode, bare.json().error.code]).toEqual([400, 'invalid_request']);
    const now = new Date(await clockNow()).getTime();
    const r = await call(app, 'POST', '/sandbox/clock', { body: { advanceMs: 366 * DAY } });
    expect([r.status, r.json.now]).toEqual([200, new Date(now + 366 * DAY).toISOString()]);
  });
});

describe('a server on the system clock', () => {
  it('GET says manual: false with the real time; POST is 409 clock_not_manual and says how to start one', async () => {
    const database = await freshDatabase('pglite');
    const app = await buildApp(createServices({ database }), { sandbox: true, trustProxy: false, logLevel: 'silent' });
    try {
      const before = Date.now();
      const r = await call(app, 'GET', '/sandbox/clock');
      expect(r.status).toBe(200);
      expect(r.json.manual).toBe(false);
      expect(new Date(r.json.now).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(new Date(r.json.now).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      for (const body of [{ advanceMs: 1000 }, { to: '2099-01-01T00:00:00Z' }]) {
        const move = await call(app, 'POST', '/sandbox/clock', { body });
        expect(move.status).toBe(409);
        expect(move.json.error.code).toBe('clock_not_manual');
        expect(move.json.error.message).toContain('SAIFU_SANDBOX_CLOCK=1');
      }
    } finally {
      await app.close();
      await database.close();
    }
  });

  it('without the sandbox there is no /sandbox/clock', async () => {
    const database = await freshDatabase('pglite');
    const app = await buildApp(createServices({ database }), { sandbox: false, trustProxy: false, logLevel: 'silent' });
    try {
      expect((await call(app, 'GET', '/sandbox/clock')).status).toBe(404);
      expect((await call(app, 'POST', '/sandbox/clock', { body: { advanceMs: 1000 } })).status).toBe(404);
    } finally {
      await app.close();
      await database.close();
    }
  });
});

describe('SAIFU_SANDBOX_CLOCK=1', () => {
  it('the server runs a manual clock from the real time, which POST /sandbox/clock moves; unset, the system clock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saifu-clock-'));
    try {
      for (const on of [true, false]) {
        const config = loadConfig({
          SAIFU_DATA_DIR: join(dir, String(on)),
          SAIFU_LOG_LEVEL: 'silent',
          SAIFU_SANDBOX_CLOCK: on ? '1' : '',
        });
        const before = Date.now();
        const p = await startPlatform(config, { listen: false });
        try {
          expect(p.services.clock instanceof ManualClock).toBe(on);
          const state = (await call(p.app, 'GET', '/sandbox/clock')).json;
          expect(state.manual).toBe(on);
          expect(new Date(state.now).getTime()).toBeGreaterThanOrEqual(before - 1000);
          expect(new Date(state.now).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
          const move = await call(p.app, 'POST', '/sandbox/clock', { body: { advanceMs: 30 * DAY } });
          expect(move.status).toBe(on ? 200 : 409);
          if (on)
            expect(p.services.clock.now().toISOString()).toBe(
              new Date(new Date(state.now).getTime() + 30 * DAY).toISOString(),
            );
        } finally {
          await p.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GET /sandbox/request-source', () => {
  it('answers the address and device the defences see: the forwarded address only behind a trusted proxy', async () => {
    const database = await freshDatabase('pglite');
    const headers = { 'x-forwarded-for': '192.0.2.77, 10.0.0.1', 'x-device-id': 'phone-1' };
    try {
      for (const trustProxy of [true, false]) {
        const app = await buildApp(createServices({ database }), { sandbox: true, trustProxy, logLevel: 'silent' });
        try {
          const r = await call(app, 'GET', '/sandbox/request-source', { headers });
          expect([r.status, r.json]).toEqual([
            200,
            { ip: trustProxy ? '192.0.2.77' : '127.0.0.1', deviceId: 'phone-1' },
          ]);
          const bare = await call(app, 'GET', '/sandbox/request-source');
          expect(bare.json).toEqual({ ip: '127.0.0.1', deviceId: null });
        } finally {
          await app.close();
        }
      }
      const off = await buildApp(createServices({ database }), {
        sandbox: false,
        trustProxy: true,
        logLevel: 'silent',
      });
      try {
        expect((await call(off, 'GET', '/sandbox/request-source', { headers })).status).toBe(404);
      } finally {
        await off.close();
      }
    } finally {
      await database.close();
    }
  });
});
