import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionUser } from '../src/identity/index.ts';
import { AppError } from '../src/platform/index.ts';
import { DATABASES, HAS_POSTGRES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import {
  type Person,
  type WalletUser,
  bankAccount,
  firstBranch,
  latestCode,
  registeredPerson,
  stepUp,
  totp,
  walletUser,
} from './support/people.ts';
import { type World, createWorld, newPhone } from './support/world.ts';

/**
 * Every counted secret allows at most its stated number of evaluations however many guesses arrive at once
 * (docs/api.md). The bursts go straight to the services, as an attacker with many addresses would get past the
 * per-address HTTP limits; what is proved is the counter, consumed before the secret is checked. PostgreSQL is
 * where this matters (PGlite runs one transaction at a time); the suite also runs on PGlite.
 */
describe.each(HAS_POSTGRES ? DATABASES.filter((d) => d === 'postgres') : DATABASES)(
  'guess limits under parallel bursts on %s',
  (kind) => {
    let w: World;
    let app: FastifyInstance;
    let otpBank: { code: string; branch: string };
    let person: Person;
    beforeAll(async () => {
      w = await createWorld(kind, { poolSize: 40 });
      app = await httpApp(w, { trustProxy: true });
      const list = (await call(app, 'GET', '/v1/banks?participating=true')).json.data as Array<{
        code: string;
        authMethod: string;
      }>;
      const bank = list.find((b) => b.authMethod === 'otp' && b.code !== '9900')!;
      otpBank = { code: bank.code, branch: await firstBranch(app, bank.code) };
      person = await registeredPerson(app, {
        familyName: '鈴木',
        givenName: '一郎',
        familyNameKana: 'スズキ',
        givenNameKana: 'イチロウ',
        birthDate: '1970-03-03',
      });
    });
    afterAll(async () => {
      await app.close();
      await w.close();
    });

    /** The code of each rejection; every rejection must be a domain answer. */
    const outcomes = (results: PromiseSettledResult<unknown>[]) =>
      results.map((r) => {
        if (r.status === 'fulfilled') return 'ok';
        expect(r.reason, String(r.reason)).toBeInstanceOf(AppError);
        return (r.reason as AppError).code;
      });
    const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;

    async function linker(): Promise<{ u: WalletUser; user: () => Promise<SessionUser> }> {
      const u = await walletUser(app, w, {
        person: await registeredPerson(app, {
          familyName: '佐藤',
          givenName: '次郎',
          familyNameKana: 'サトウ',
          givenNameKana: 'ジロウ',
          birthDate: '1980-01-01',
        }),
      });
      await stepUp(app, w, u);
      return { u, user: async () => (await w.identity.authenticate(u.token))! };
    }

    const victimAccount = (pin = '7391') =>
      bankAccount(app, {
        bankCode: otpBank.code,
        branchCode: otpBank.branch,
        holderNameKana: 'ﾀｶﾊｼ ﾐﾁｺ',
        birthDate: '1948-06-20',
        pin,
        phone: newPhone(),
      });

    it('20 parallel links to one bank account: one authorization in progress, the rest 409', async () => {
      const victim = await victimAccount();
      const { u } = await linker();
      const body = {
        bankCode: victim.bankCode,
        branchCode: victim.branchCode,
        accountType: 'ordinary',
        accountNumber: victim.accountNumber,
      };
      const rs = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          call(app, 'POST', '/v1/bank-links', {
            token: u.token,
            body,
            headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
          }),
        ),
      );
      expect(rs.filter((r) => r.status === 201)).toHaveLength(1);
      expect(rs.filter((r) => r.status === 409).map((r) => r.json.error.code)).toEqual(
        Array(19).fill('authorization_in_progress'),
      );
      // Short-lived: once it expires the holder (or anyone) can start again.
      w.clock.advance(11 * 60_000);
      await stepUp(app, w, u);
      expect((await call(app, 'POST', '/v1/bank-links', { token: u.token, body, headers: u.headers })).status).toBe(
        201,
      );
    });

    it('60 parallel PINs on one link from one IP: at most 3 reach the bank, the account is never opened', async () => {
      const victim = await victimAccount('9999');
      const { u, user } = await linker();
      const link = (
        await call(app, 'POST', '/v1/bank-links', {
          token: u.token,
          headers: u.headers,
          body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
        })
      ).json;
      const actor = await user();
      const source = { ip: '192.0.2.60', deviceId: 'dev-burst' };
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          w.linking.authorize(actor, link.id, { pin: String(i).padStart(4, '0') }, source),
        ),
      );
      const codes = outcomes(results);
      const acct = await w.db
        .selectFrom('sandbox_bank_accounts')
        .select(['pin_failures', 'locked_at'])
        .where('account_number', '=', victim.accountNumber)
        .where('bank_code', '=', victim.bankCode)
        .executeTakeFirstOrThrow();
      // Each guess that reached the bank is a failure there (9999 is not among them); no more than 3.
      expect(acct.pin_failures).toBeLessThanOrEqual(3);
      expect(count(codes, 'ok')).toBeLessThanOrEqual(3);
      expect(count(codes, 'ok') + count(codes, 'too_many_attempts') + count(codes, 'invalid_state')).toBe(60);
      const after = (await call(app, 'GET', `/v1/bank-links/${link.id}`, { token: u.token })).json;
      expect(after.status).not.toBe('active');
      // A burst leaves one case for the link and a handful of notices to the holder, not one per request.
      const cases = await w.db
        .selectFrom('cases')
        .select('details')
        .where('kind', '=', 'reverse_brute_force')
        .execute();
      expect(
        cases.filter((c) => (JSON.parse(c.details) as { linkId?: string }).linkId === link.id).length,
      ).toBeLessThanOrEqual(1);
      const holder = await call(
        app,
        'GET',
        `/sandbox/bank-accounts/${victim.bankCode}/${victim.branchCode}/${victim.accountNumber}`,
      );
      expect(holder.json.notices.length).toBeLessThanOrEqual(6);
    });

    it('each layer holds on its own: with the reverse-brute-force budgets off, the link still takes at most 3 PINs', async () => {
      const policy = w.linkingPolicy();
      w.setLinkingPolicy({ ...policy, reverseBruteForce: { ...policy.reverseBruteForce, enabled: false } });
      try {
        const victim = await victimAccount('9999');
        const { u, user } = await linker();
        const link = (
          await call(app, 'POST', '/v1/bank-links', {
            token: u.token,
            headers: u.headers,
            body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
          })
        ).json;
        const actor = await user();
        const codes = outcomes(
          await Promise.allSettled(
            Array.from({ length: 60 }, (_, i) =>
              w.linking.authorize(actor, link.id, { pin: String(i).padStart(4, '0') }, { ip: '192.0.2.61' }),
            ),
          ),
        );
        // Exactly the link's 3 attempts are evaluated; the third wrong PIN locks the account at the bank.
        expect(count(codes, 'ok')).toBe(3);
        expect(count(codes, 'too_many_attempts') + count(codes, 'invalid_state')).toBe(57);
        const acct = await w.db
          .selectFrom('sandbox_bank_accounts')
          .select('pin_failures')
          .where('account_number', '=', victim.accountNumber)
          .where('bank_code', '=', victim.bankCode)
          .executeTakeFirstOrThrow();
        expect(acct.pin_failures).toBe(3);
      } finally {
        w.setLinkingPolicy(policy);
      }
    });

    it('the bank side on its own: 60 parallel PIN checks at the sandbox bank compare 3 and lock the account', async () => {
      const victim = await victimAccount('9999');
      const ref = {
        bankCode: victim.bankCode,
        branchCode: victim.branchCode,
        accountType: 'ordinary' as const,
        accountNumber: victim.accountNumber,
      };
      const checks = await Promise.all(
        Array.from({ length: 60 }, (_, i) => w.sandbox.bankAuth.checkPin(ref, String(i).padStart(4, '0'))),
      );
      expect(checks.filter((c) => !c.ok && c.reason === 'rejected')).toHaveLength(2);
      const acct = await w.db
        .selectFrom('sandbox_bank_accounts')
        .select(['pin_failures', 'locked_at'])
        .where('account_number', '=', victim.accountNumber)
        .where('bank_code', '=', victim.bankCode)
        .executeTakeFirstOrThrow();
      expect(acct.pin_failures).toBe(3);
      expect(acct.locked_at).not.toBeNull();
    });

    it('30 parallel PINs spread over 10 links from one IP: the IP budget (5) caps what reaches the banks', async () => {
      const source = { ip: '192.0.2.77' };
      const links: Array<{ id: string; account: string; actor: SessionUser }> = [];
      for (let i = 0; i < 10; i++) {
        const victim = await victimAccount('9999');
        const { u, user } = await linker();
        const link = (
          await call(app, 'POST', '/v1/bank-links', {
            token: u.token,
            headers: u.headers,
            body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
          })
        ).json;
        links.push({ id: link.id, account: victim.accountNumber, actor: await user() });
      }
      const results = await Promise.allSettled(
        links.flatMap((l) => [0, 1, 2].map((j) => w.linking.authorize(l.actor, l.id, { pin: `123${j}` }, source))),
      );
      outcomes(results);
      const checked = await w.db
        .selectFrom('sandbox_bank_accounts')
        .select(sql<number>`coalesce(sum(pin_failures), 0)::int`.as('n'))
        .where(
          'account_number',
          'in',
          links.map((l) => l.account),
        )
        .executeTakeFirstOrThrow();
      // At most the IP's 5 (fewer when a refused attempt failed a link before its sibling reached the bank).
      expect(checked.n).toBeLessThanOrEqual(5);
      const cases = await w.db.selectFrom('cases').select('kind').where('kind', '=', 'reverse_brute_force').execute();
      expect(cases.length).toBeGreaterThan(0);
    });

    it('300 parallel bank OTP guesses: at most 3 are compared, then the link fails', async () => {
      const victim = await bankAccount(app, {
        bankCode: otpBank.code,
        branchCode: otpBank.branch,
        holderNameKana: 'ｽｽﾞｷ ｲﾁﾛｳ',
        birthDate: '1970-03-03',
        pin: '2468',
        phone: newPhone(),
      });
      const u = await walletUser(app, w, { person });
      await stepUp(app, w, u);
      const link = (
        await call(app, 'POST', '/v1/bank-links', {
          token: u.token,
          headers: u.headers,
          body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
        })
      ).json;
      const first = await call(app, 'POST', `/v1/bank-links/${link.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { pin: '2468' },
      });
      expect(first.json.authorization).toMatchObject({ step: 'otp', attemptsLeft: 3 });
      const right = (await latestCode(app, victim.phone))!;
      const wrong = (i: number) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0');
      const actor = (await w.identity.authenticate(u.token))!;
      const results = await Promise.allSettled(
        Array.from({ length: 300 }, (_, i) =>
          w.linking.authorize(actor, link.id, { otp: wrong(i) }, { ip: '192.0.2.90' }),
        ),
      );
      const codes = outcomes(results);
      const otpRow = await w.db
        .selectFrom('sandbox_bank_otps')
        .select('attempts')
        .where('reference', '=', link.id)
        .executeTakeFirstOrThrow();
      expect(otpRow.attempts).toBe(3);
      expect(count(codes, 'ok')).toBe(3);
      // The right code now comes too late: the link has failed.
      const late = await call(app, 'POST', `/v1/bank-links/${link.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { otp: right },
      });
      expect(late.status).toBe(409);
      expect((await call(app, 'GET', `/v1/bank-links/${link.id}`, { token: u.token })).json.status).toBe('failed');
    });

    it('1,000 parallel SMS step-up codes: at most 5 are compared, the rest 429, the right code is then refused', async () => {
      const u = await walletUser(app, w, { totp: false });
      await call(app, 'POST', '/v1/sessions/current/step-up/sms', { token: u.token, headers: u.headers });
      const right = (await latestCode(app, u.phone))!;
      const actor = (await w.identity.authenticate(u.token))!;
      const wrong = (i: number) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0');
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) => w.mfa.stepUp(actor, actor.session.id, { smsCode: wrong(i) })),
      );
      const codes = outcomes(results);
      expect(count(codes, 'invalid_otp')).toBe(5);
      expect(count(codes, 'too_many_attempts')).toBe(995);
      await expect(w.mfa.stepUp(actor, actor.session.id, { smsCode: right })).rejects.toMatchObject({
        code: 'too_many_attempts',
      });
    });

    it('1,000 parallel TOTP step-ups: at most 5 wrong codes are checked per account', async () => {
      const u = await walletUser(app, w, {});
      const actor = (await w.identity.authenticate(u.token))!;
      const right = totp(u.secret!, w.clock.now());
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) =>
          w.mfa.stepUp(actor, actor.session.id, { otp: String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0') }),
        ),
      );
      const codes = outcomes(results);
      expect(count(codes, 'invalid_otp')).toBe(5);
      expect(count(codes, 'too_many_attempts')).toBe(995);
    });

    it('1,000 parallel phone confirmation codes: at most 5 are compared', async () => {
      const u = await walletUser(app, w, { confirmPhone: false, totp: false });
      const right = (await latestCode(app, u.phone))!;
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) =>
          w.identity.confirmPhone(u.userId, String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0')),
        ),
      );
      const codes = outcomes(results);
      expect(count(codes, 'invalid_otp')).toBe(5);
      expect(count(codes, 'too_many_attempts')).toBe(995);
      // The right code, once the burst is over, meets the lock.
      await expect(w.identity.confirmPhone(u.userId, right)).rejects.toMatchObject({ code: 'too_many_attempts' });
      expect((await w.identity.getUser(u.userId)).phoneConfirmed).toBe(false);
    });

    it('20 parallel identity verifications by one user: at most 5 a day reach the provider', async () => {
      const u = await walletUser(app, w, { totp: false });
      const actor = (await w.identity.authenticate(u.token))!;
      const forged = { ...person, document: { type: 'drivers_license' as const, number: '999999999999' } };
      const codes = outcomes(await Promise.allSettled(Array.from({ length: 20 }, () => w.ekyc.submit(actor, forged))));
      const stored = await w.db
        .selectFrom('identity_verifications')
        .select('id')
        .where('user_id', '=', u.userId)
        .execute();
      expect(stored).toHaveLength(5);
      expect(count(codes, 'too_many_attempts')).toBe(15);
    });

    it('30 parallel wrong sign-ins: exactly 5 passwords are checked, then the right one meets the lock', async () => {
      const u = await walletUser(app, w, { totp: false });
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => w.identity.login(u.email, `wrong password ${i}`)),
      );
      const codes = outcomes(results);
      expect(count(codes, 'invalid_credentials')).toBe(5);
      expect(count(codes, 'too_many_attempts')).toBe(25);
      await expect(w.identity.login(u.email, 'a long enough password')).rejects.toMatchObject({
        code: 'too_many_attempts',
      });
    });

    it('30 parallel wrong operator sign-ins: exactly 5 passwords are checked, then the right one meets the lock', async () => {
      const op = await w.ops.createOperator(`burst-${kind}@saifu.test`, 'admin');
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => w.ops.login(op.email, `wrong ${i}`)),
      );
      const codes = outcomes(results);
      expect(count(codes, 'invalid_credentials')).toBe(5);
      expect(count(codes, 'too_many_attempts')).toBe(25);
      await expect(w.ops.login(op.email, op.password)).rejects.toMatchObject({ code: 'too_many_attempts' });
    });
  },
);
