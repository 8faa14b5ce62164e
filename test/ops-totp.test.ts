import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorOtp } from './support/operators.ts';
import { type World, createWorld } from './support/world.ts';

let ipSeq = 1;
const fromNewIp = () => ({ 'x-forwarded-for': `203.0.113.${ipSeq++ % 250}` });

describe.each(DATABASES)('operators sign in with a TOTP code on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const signIn = (body: { email: string; password: string; otp?: string }) =>
    call(app, 'POST', '/v1/admin/sessions', { headers: fromNewIp(), body });

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w, { trustProxy: true });
  });
  afterAll(async () => {
    await app.close();
    await w.close();
  });

  it('an operator is enrolled when created: the otpauth URI is given once, the seed is stored sealed', async () => {
    const op = await w.ops.createOperator('enrol@ops.test', 'admin', 'test');
    expect(op.totp.secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(op.totp.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Saifu:enrol%40ops\.test\?/);
    expect(op.totp.otpauthUrl).toContain(`secret=${op.totp.secret}`);
    const row = await w.db.selectFrom('operators').selectAll().where('id', '=', op.id).executeTakeFirstOrThrow();
    expect(row.totp_secret).toMatch(/^v1\./);
    expect(row.totp_secret).not.toContain(op.totp.secret);
  });

  it('the password alone is 401 mfa_required; a wrong code is invalid_credentials; the right one signs in, once', async () => {
    const op = await w.ops.createOperator('code@ops.test', 'support', 'test');
    const bare = await signIn({ email: op.email, password: op.password });
    expect([bare.status, bare.json.error.code]).toEqual([401, 'mfa_required']);
    const wrongCode = String((Number(operatorOtp(w, op)) + 1) % 1_000_000).padStart(6, '0');
    const wrong = await signIn({ email: op.email, password: op.password, otp: wrongCode });
    expect([wrong.status, wrong.json.error.code]).toEqual([401, 'invalid_credentials']);
    const code = operatorOtp(w, op);
    const ok = await signIn({ email: op.email, password: op.password, otp: code });
    expect(ok.status, ok.body).toBe(201);
    const replay = await signIn({ email: op.email, password: op.password, otp: code });
    expect([replay.status, replay.json.error.code]).toEqual([401, 'invalid_credentials']);
    // A code for a wrong password says nothing about the code.
    w.clock.advance(30_000);
    const badPassword = await signIn({ email: op.email, password: 'nope', otp: operatorOtp(w, op) });
    expect(badPassword.json.error.code).toBe('invalid_credentials');
    const failures = await w.db
      .selectFrom('audit_log')
      .select('details')
      .where('target', '=', op.id)
      .where('action', '=', 'operator.login_failed')
      .orderBy('seq')
      .execute();
    expect(failures.map((f) => JSON.parse(f.details).factor)).toEqual(['otp', 'otp', 'password']);
  });

  it('wrong codes count toward the lock like wrong passwords: five, then even the right code is refused', async () => {
    const op = await w.ops.createOperator('guess@ops.test', 'support', 'test');
    const codes = [];
    for (let i = 0; i < 6; i++)
      codes.push((await signIn({ email: op.email, password: op.password, otp: '000000' })).json.error.code);
    expect(codes).toEqual([...Array(5).fill('invalid_credentials'), 'too_many_attempts']);
    const locked = await signIn({ email: op.email, password: op.password, otp: operatorOtp(w, op) });
    expect([locked.status, locked.json.error.code]).toEqual([429, 'too_many_attempts']);
  });

  it('parallel code guesses get five evaluations, no more', async () => {
    const op = await w.ops.createOperator('burst@ops.test', 'support', 'test');
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => signIn({ email: op.email, password: op.password, otp: String(100000 + i) })),
    );
    const codes = results.map((r) => r.json.error?.code);
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(5);
    expect(codes.filter((c) => c === 'too_many_attempts')).toHaveLength(4);
  });

  it('two sign-ins racing with one code: exactly one session', async () => {
    const op = await w.ops.createOperator('race@ops.test', 'support', 'test');
    const code = operatorOtp(w, op);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => signIn({ email: op.email, password: op.password, otp: code })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
  });

  it('an operator from before TOTP (no seed) still signs in with the password alone, and the sign-in says so', async () => {
    const op = await w.ops.createOperator('legacy@ops.test', 'support', 'test');
    await w.db.updateTable('operators').set({ totp_secret: null }).where('id', '=', op.id).execute();
    const r = await signIn({ email: op.email, password: op.password });
    expect(r.status).toBe(201);
    const last = await w.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'operator.login')
      .where('target', '=', op.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(last.details).totp).toBe(false);
  });
});
