import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp, ledgerSnapshot } from './support/http.ts';
import {
  type Person,
  type WalletUser,
  bankAccount,
  firstBranch,
  latestCode,
  registeredPerson,
  stepUp,
  walletUser,
} from './support/people.ts';
import { type World, createWorld, newPhone } from './support/world.ts';

let keySeq = 0;
const k = () => `lk-${keySeq++}`;

describe.each(DATABASES)('bank linking on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const banks: Record<'otp' | 'app' | 'legacy_pin', { code: string; branch: string }> = {} as never;
  let hanako: Person;

  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w, { trustProxy: true });
    const list = (await call(app, 'GET', '/v1/banks?participating=true')).json.data as Array<{
      code: string;
      authMethod: 'otp' | 'app' | 'legacy_pin';
    }>;
    expect(list).toHaveLength(35);
    for (const m of ['otp', 'app', 'legacy_pin'] as const) {
      const b = list.find((x) => x.authMethod === m && x.code !== '9900')!;
      banks[m] = { code: b.code, branch: await firstBranch(app, b.code) };
    }
    hanako = await registeredPerson(app, {
      familyName: '山田',
      givenName: '花子',
      familyNameKana: 'ヤマダ',
      givenNameKana: 'ハナコ',
      birthDate: '1985-04-12',
    });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  async function honestLink(
    u: WalletUser,
    acct: { bankCode: string; branchCode: string; accountNumber: string },
    pin: string,
    holderPhone: string,
  ) {
    await stepUp(app, w, u);
    const c = await call(app, 'POST', '/v1/bank-links', {
      token: u.token,
      headers: u.headers,
      body: {
        bankCode: acct.bankCode,
        branchCode: acct.branchCode,
        accountType: 'ordinary',
        accountNumber: acct.accountNumber,
      },
    });
    expect(c.status, c.body).toBe(201);
    const a1 = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
      token: u.token,
      headers: u.headers,
      body: { pin },
    });
    const otp = await latestCode(app, holderPhone);
    const a2 = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
      token: u.token,
      headers: u.headers,
      body: { pin, otp },
    });
    return { create: c, first: a1, second: a2, id: c.json.id as string };
  }

  it('honest path: sign up → phone → eKYC → link with OTP → charge, every notice delivered', async () => {
    const phone = newPhone();
    const acct = await bankAccount(app, {
      bankCode: banks.otp.code,
      branchCode: banks.otp.branch,
      holderNameKana: 'ﾔﾏﾀﾞ ﾊﾅｺ',
      birthDate: '1985-04-12',
      pin: '4821',
      phone,
    });
    const u = await walletUser(app, w, { person: hanako, phone });
    expect((await call(app, 'GET', '/v1/me', { token: u.token })).json.verification).toBe('verified');
    const l = await honestLink(u, acct, '4821', phone);
    expect(l.create.json).toMatchObject({
      status: 'pending_authorization',
      authorization: { method: 'otp', step: 'pin', attemptsLeft: 3 },
    });
    expect(l.first.json).toMatchObject({
      status: 'pending_authorization',
      authorization: { method: 'otp', step: 'otp' },
    });
    expect(l.second.json).toMatchObject({ status: 'active', nameMatch: { score: 100 } });
    const got = await call(app, 'GET', `/v1/bank-links/${l.id}`, { token: u.token });
    expect(got.json.limits).toMatchObject({ daily: { limit: 10_000, used: 0, remaining: 10_000 } });
    const ch = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      key: k(),
      body: { bankLinkId: l.id, amount: 5_000 },
    });
    expect(ch.json).toMatchObject({ status: 'succeeded', amount: 5_000 });
    expect((await call(app, 'GET', '/v1/wallet', { token: u.token })).json).toMatchObject({
      balance: 5_000,
      limits: { newLinkDaily: { used: 5_000, remaining: 5_000 } },
    });
    const msgs = (await call(app, 'GET', `/sandbox/messages?to=${phone}`)).json.data as Array<{
      channel: string;
      body: string;
    }>;
    // signup code, bank OTP, "linked" bank notice, user's link SMS, debit notice with the operator and amount
    expect(msgs.filter((m) => m.channel === 'sms').length).toBeGreaterThanOrEqual(3);
    expect(msgs.some((m) => m.channel === 'bank_notice' && m.body.includes('連携されました'))).toBe(true);
    expect(
      msgs.some((m) => m.channel === 'bank_notice' && m.body.includes('5,000円') && m.body.includes('Saifu')),
    ).toBe(true);
  });

  it('first charge on a link without a fresh second factor waits for confirmation', async () => {
    const phone = newPhone();
    const p = await registeredPerson(app, {
      familyName: '佐藤',
      givenName: '一郎',
      familyNameKana: 'サトウ',
      givenNameKana: 'イチロウ',
      birthDate: '1970-01-31',
    });
    const acct = await bankAccount(app, {
      bankCode: banks.otp.code,
      branchCode: banks.otp.branch,
      holderNameKana: 'ｻﾄｳ ｲﾁﾛｳ',
      birthDate: '1970-01-31',
      pin: '1111',
      phone,
    });
    const u = await walletUser(app, w, { person: p, phone });
    const l = await honestLink(u, acct, '1111', phone);
    expect(l.second.json.status).toBe('active');
    w.clock.advance(6 * 60_000); // the step-up has lapsed
    const ch = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      key: k(),
      body: { bankLinkId: l.id, amount: 3_000 },
    });
    expect(ch.json).toMatchObject({ status: 'requires_action', nextAction: { type: 'confirm' } });
    expect((await call(app, 'GET', '/v1/wallet', { token: u.token })).json.limits.monthly.used).toBe(3_000);
    w.clock.advance(30_000);
    const { totp } = await import('./support/people.ts');
    const bad = await call(app, 'POST', `/v1/charges/${ch.json.id}/confirm`, {
      token: u.token,
      key: k(),
      body: { otp: '000000' },
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    w.clock.advance(30_000);
    const ok = await call(app, 'POST', `/v1/charges/${ch.json.id}/confirm`, {
      token: u.token,
      key: k(),
      body: { otp: totp(u.secret!, w.clock.now()) },
    });
    expect(ok.json).toMatchObject({ id: ch.json.id, status: 'succeeded' });
    expect((await call(app, 'GET', '/v1/wallet', { token: u.token })).json.balance).toBe(3_000);
  });

  it('a charge whose confirmation never comes fails after 15 minutes and frees its limit', async () => {
    const phone = newPhone();
    const p = await registeredPerson(app, {
      familyName: '吉田',
      givenName: '翼',
      familyNameKana: 'ヨシダ',
      givenNameKana: 'ツバサ',
      birthDate: '1988-03-03',
    });
    const acct = await bankAccount(app, {
      bankCode: banks.otp.code,
      branchCode: banks.otp.branch,
      holderNameKana: 'ﾖｼﾀﾞ ﾂﾊﾞｻ',
      birthDate: '1988-03-03',
      pin: '4444',
      phone,
    });
    const u = await walletUser(app, w, { person: p, phone });
    const l = await honestLink(u, acct, '4444', phone);
    w.clock.advance(6 * 60_000);
    const ch = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      key: k(),
      body: { bankLinkId: l.id, amount: 2_000 },
    });
    expect(ch.json.status).toBe('requires_action');
    w.clock.advance(16 * 60_000);
    await w.wallet.settleInFlight();
    expect((await call(app, 'GET', `/v1/charges/${ch.json.id}`, { token: u.token })).json).toMatchObject({
      status: 'failed',
      failureCode: 'confirmation_expired',
    });
    expect((await call(app, 'GET', '/v1/wallet', { token: u.token })).json.limits.monthly.used).toBe(0);
  });

  it('app bank: the holder approves in the bank app; the approval id never reaches the wallet client', async () => {
    const phone = newPhone();
    const p = await registeredPerson(app, {
      familyName: '鈴木',
      givenName: '次郎',
      familyNameKana: 'スズキ',
      givenNameKana: 'ジロウ',
      birthDate: '1990-12-01',
    });
    const acct = await bankAccount(app, {
      bankCode: banks.app.code,
      branchCode: banks.app.branch,
      holderNameKana: 'ｽｽﾞｷ ｼﾞﾛｳ',
      birthDate: '1990-12-01',
      pin: '2222',
      phone,
    });
    const u = await walletUser(app, w, { person: p, phone });
    await stepUp(app, w, u);
    const c = await call(app, 'POST', '/v1/bank-links', {
      token: u.token,
      headers: u.headers,
      body: {
        bankCode: acct.bankCode,
        branchCode: acct.branchCode,
        accountType: 'ordinary',
        accountNumber: acct.accountNumber,
      },
    });
    expect(c.json.authorization).toMatchObject({ method: 'app', step: 'app' });
    const a = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
      token: u.token,
      headers: u.headers,
      body: {},
    });
    expect(a.json.status).toBe('pending_authorization');
    const notice = ((await call(app, 'GET', `/sandbox/messages?to=${phone}`)).json.data as Array<{ body: string }>)
      .map((m) => m.body)
      .find((b) => b.includes('承認ID'));
    const approvalId = /承認ID (\S+)\)/.exec(notice ?? '')?.[1];
    expect(approvalId).toMatch(/^apr_/);
    expect(JSON.stringify(a.json)).not.toContain(approvalId);
    expect((await call(app, 'GET', `/v1/bank-links/${c.json.id}`, { token: u.token })).json.status).toBe(
      'pending_authorization',
    );
    expect((await call(app, 'POST', `/sandbox/approvals/${approvalId}/approve`)).status).toBe(200);
    expect((await call(app, 'GET', `/v1/bank-links/${c.json.id}`, { token: u.token })).json).toMatchObject({
      status: 'active',
      nameMatch: { score: 100 },
    });
  });

  describe('the 2020 attack fails at each layer on its own', () => {
    let victimPhone: string;
    let victim: Awaited<ReturnType<typeof bankAccount>>;
    beforeAll(async () => {
      victimPhone = newPhone();
      victim = await bankAccount(app, {
        bankCode: banks.otp.code,
        branchCode: banks.otp.branch,
        holderNameKana: 'ﾀｶﾊｼ ﾐﾁｺ',
        birthDate: '1948-06-20',
        pin: '1234',
        phone: victimPhone,
        balance: 3_000_000,
      });
    });

    it('an email-only wallet cannot link (phone unconfirmed, identity unverified)', async () => {
      const u = await walletUser(app, w, { confirmPhone: false, totp: false });
      const r = await call(app, 'POST', '/v1/bank-links', {
        token: u.token,
        headers: u.headers,
        body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
      });
      expect([r.status, r.json.error.code]).toEqual([403, 'phone_not_confirmed']);
      const u2 = await walletUser(app, w, { totp: false });
      const r2 = await call(app, 'POST', '/v1/bank-links', {
        token: u2.token,
        headers: u2.headers,
        body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
      });
      expect([r2.status, r2.json.error.code]).toEqual([403, 'verification_required']);
    });

    it('a legacy_pin bank is refused', async () => {
      const acct = await bankAccount(app, {
        bankCode: banks.legacy_pin.code,
        branchCode: banks.legacy_pin.branch,
        holderNameKana: 'ﾀｶﾊｼ ﾐﾁｺ',
        birthDate: '1948-06-20',
        pin: '1234',
        phone: victimPhone,
      });
      const p = await registeredPerson(app, {
        familyName: '高橋',
        givenName: '美智子',
        familyNameKana: 'タカハシ',
        givenNameKana: 'ミチコ',
        birthDate: '1948-06-20',
      });
      const u = await walletUser(app, w, { person: p });
      await stepUp(app, w, u);
      const r = await call(app, 'POST', '/v1/bank-links', {
        token: u.token,
        headers: u.headers,
        body: { bankCode: acct.bankCode, branchCode: acct.branchCode, accountNumber: acct.accountNumber },
      });
      expect([r.status, r.json.error.code]).toEqual([409, 'auth_method_not_allowed']);
    });

    it('an otp bank sends the code to the victim’s phone, not the attacker’s; guessing fails the link', async () => {
      const attacker = await registeredPerson(app, {
        familyName: '田中',
        givenName: '太郎',
        familyNameKana: 'タナカ',
        givenNameKana: 'タロウ',
        birthDate: '1995-03-03',
      });
      const u = await walletUser(app, w, { person: attacker });
      await stepUp(app, w, u);
      const c = await call(app, 'POST', '/v1/bank-links', {
        token: u.token,
        headers: u.headers,
        body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
      });
      const a = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { pin: '1234' },
      });
      expect(a.json.authorization.step).toBe('otp');
      expect(await latestCode(app, u.phone)).not.toBe(await latestCode(app, victimPhone));
      let last = a;
      for (const guess of ['000000', '111111', '222222'])
        last = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
          token: u.token,
          headers: u.headers,
          body: { pin: '1234', otp: guess },
        });
      expect(last.json).toMatchObject({ status: 'failed' });
      const notices = (
        (await call(app, 'GET', `/sandbox/messages?to=${victimPhone}`)).json.data as Array<{
          channel: string;
          body: string;
        }>
      ).filter((m) => m.channel === 'bank_notice');
      expect(notices.some((n) => n.body.includes('失敗') || n.body.includes('完了しませんでした'))).toBe(true);
    });

    it('a wallet verified with the attacker’s own identity fails the name match even with the victim’s OTP', async () => {
      const attacker = await registeredPerson(app, {
        familyName: '田中',
        givenName: '次郎',
        familyNameKana: 'タナカ',
        givenNameKana: 'ジロウ',
        birthDate: '1948-06-20',
      });
      const u = await walletUser(app, w, { person: attacker });
      await stepUp(app, w, u);
      const c = await call(app, 'POST', '/v1/bank-links', {
        token: u.token,
        headers: u.headers,
        body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
      });
      await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { pin: '1234' },
      });
      const phishedOtp = await latestCode(app, victimPhone);
      const r = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { pin: '1234', otp: phishedOtp },
      });
      // One answer whatever did not match: no score, no hint whether the name or the birth date was wrong.
      expect(r.json).toMatchObject({
        status: 'failed',
        failureCode: 'name_mismatch',
        details: { reason: 'holder_mismatch' },
      });
      expect(r.json.nameMatch).toBeUndefined();
      const stored = await w.db
        .selectFrom('bank_links')
        .select('name_match_score')
        .where('id', '=', c.json.id)
        .executeTakeFirstOrThrow();
      expect(stored.name_match_score).toBeLessThan(85);
    });

    it('reverse brute force (one PIN over 200 account numbers) is stopped early and reported', async () => {
      const accounts = [];
      for (let i = 0; i < 200; i++) accounts.push(String(2_000_000 + i));
      const attacker = await registeredPerson(app, {
        familyName: '木村',
        givenName: '健',
        familyNameKana: 'キムラ',
        givenNameKana: 'ケン',
        birthDate: '1990-01-01',
      });
      const u = await walletUser(app, w, { person: attacker });
      const { hash } = await import('@node-rs/argon2');
      const pinHash = await hash('9876');
      let pinChecks = 0;
      let stoppedAt = -1;
      for (const [i, accountNumber] of accounts.entries()) {
        await w.db
          .insertInto('sandbox_bank_accounts')
          .values({
            bank_code: banks.otp.code,
            branch_code: banks.otp.branch,
            account_number: accountNumber,
            account_type: 'ordinary',
            holder_name_kana: 'ﾃｽﾄ',
            birth_date: '1960-01-01',
            pin_hash: pinHash,
            phone: newPhone(),
            balance: 100_000,
            created_at: w.clock.now(),
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
        await stepUp(app, w, u);
        // A fresh device and address each time: only the per-PIN count can see the pattern.
        const headers = { 'x-device-id': `dev-spray-${i}`, 'x-forwarded-for': `203.0.113.${(i % 250) + 1}` };
        const c = await call(app, 'POST', '/v1/bank-links', {
          token: u.token,
          headers,
          body: { bankCode: banks.otp.code, branchCode: banks.otp.branch, accountNumber },
        });
        if (c.status !== 201) continue;
        const a = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
          token: u.token,
          headers,
          body: { pin: '0000' },
        });
        if (a.status === 429) {
          stoppedAt = i;
          break;
        }
        pinChecks++;
      }
      expect(stoppedAt).toBeGreaterThan(0);
      expect(stoppedAt).toBeLessThanOrEqual(10);
      expect(pinChecks).toBeLessThanOrEqual(10);
      const cases = await sql<{ kind: string }>`SELECT kind FROM cases WHERE kind = 'reverse_brute_force'`.execute(
        w.db,
      );
      expect(cases.rows.length).toBeGreaterThan(0);
    });
  });

  describe('bad input gets a clear 4xx and changes nothing', () => {
    let u: WalletUser;
    beforeAll(async () => {
      const p = await registeredPerson(app, {
        familyName: '伊藤',
        givenName: '桜',
        familyNameKana: 'イトウ',
        givenNameKana: 'サクラ',
        birthDate: '2000-02-29',
      });
      u = await walletUser(app, w, { person: p });
      await stepUp(app, w, u);
    });

    it.each([
      [{ bankCode: '0001', branchCode: '001', accountNumber: '123456' }, 400, 'invalid_account_number'],
      [{ bankCode: '0001', branchCode: '001', accountNumber: '12345678' }, 400, 'invalid_account_number'],
      [{ bankCode: '0001', branchCode: '001', accountNumber: '12a4567' }, 400, 'invalid_account_number'],
      [{ bankCode: '9998', branchCode: '001', accountNumber: '1234567' }, 404, 'unknown_bank'],
      [{ bankCode: '0001', branchCode: '999', accountNumber: '1234567' }, 404, 'unknown_branch'],
      [{ bankCode: '0001', branchCode: '1', accountNumber: '1234567' }, 400, 'invalid_request'],
      [{ bankCode: '01', branchCode: '001', accountNumber: '1234567' }, 400, 'invalid_request'],
      [{ bankCode: '9900', jpSymbol: '1053', jpNumber: '12345671' }, 400, 'invalid_account_number'],
      [{ bankCode: '9900', jpSymbol: '10530', jpNumber: '12345672' }, 400, 'invalid_account_number'],
      [
        { bankCode: '0001', branchCode: '001', accountType: 'savings', accountNumber: '1234567' },
        422,
        'account_type_not_supported',
      ],
    ])('%j → %i %s', async (body, status, code) => {
      const before = await ledgerSnapshot(w);
      const links = await w.db
        .selectFrom('bank_links')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const r = await call(app, 'POST', '/v1/bank-links', { token: u.token, headers: u.headers, body });
      expect([r.status, r.json.error.code]).toEqual([status, code]);
      expect(await ledgerSnapshot(w)).toBe(before);
      expect(
        (
          await w.db
            .selectFrom('bank_links')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ).toEqual(links.n);
    });

    it.each(['やまだ はなこ', 'ヤマダ ハナコ', 'ﾔﾏﾀﾞ・ﾊﾅｺ', 'ｷｬﾉﾝ', 'Yamada', '山田'])(
      'a holder name %s that no bank would store is refused',
      async (holderNameKana) => {
        const r = await call(app, 'POST', '/sandbox/bank-accounts', {
          body: {
            bankCode: banks.otp.code,
            branchCode: banks.otp.branch,
            holderNameKana,
            birthDate: '1985-04-12',
            pin: '1234',
            phone: '09000000000',
            balance: 1,
          },
        });
        expect([r.status, r.json.error.code]).toEqual([400, 'invalid_request']);
      },
    );

    it('Japan Post symbol/number is converted to the Zengin branch and account', async () => {
      const r = await call(app, 'POST', '/v1/bank-links', {
        token: u.token,
        headers: u.headers,
        body: { bankCode: '9900', jpSymbol: '10530', jpNumber: '12345671' },
      });
      expect(r.status, r.body).toBe(201);
      expect(r.json).toMatchObject({
        bankCode: '9900',
        branchCode: '058',
        accountType: 'ordinary',
        accountNumberLast4: '4567',
      });
    });

    it('impossible dates, malformed PINs and OTPs are 400; wrong user’s link is 404; replayed OTP is refused; expiry fails the link (200, failed)', async () => {
      const phone = newPhone();
      const acct = await bankAccount(app, {
        bankCode: banks.otp.code,
        branchCode: banks.otp.branch,
        holderNameKana: 'ｲﾄｳ ｻｸﾗ',
        birthDate: '2000-02-29',
        pin: '5555',
        phone,
      });
      const c = await call(app, 'POST', '/v1/bank-links', {
        token: u.token,
        headers: u.headers,
        body: { bankCode: acct.bankCode, branchCode: acct.branchCode, accountNumber: acct.accountNumber },
      });
      const url = `/v1/bank-links/${c.json.id}/authorize`;
      expect(
        (
          await call(app, 'POST', url, {
            token: u.token,
            headers: u.headers,
            body: { pin: '5555', birthDate: '1990-02-30' },
          })
        ).status,
      ).toBe(400);
      expect(
        (await call(app, 'POST', url, { token: u.token, headers: u.headers, body: { pin: '55' } })).json.error.code,
      ).toBe('invalid_request');
      const other = await walletUser(app, w, { totp: false });
      expect((await call(app, 'POST', url, { token: other.token, body: { pin: '5555' } })).json.error.code).toBe(
        'unknown_bank_link',
      );
      await call(app, 'POST', url, { token: u.token, headers: u.headers, body: { pin: '5555' } });
      const otp = await latestCode(app, phone);
      expect(
        (await call(app, 'POST', url, { token: u.token, headers: u.headers, body: { pin: '5555', otp } })).json.status,
      ).toBe('active');
      // the same code again, on a second link to another account of the same holder
      const acct2 = await bankAccount(app, {
        bankCode: banks.otp.code,
        branchCode: banks.otp.branch,
        holderNameKana: 'ｲﾄｳ ｻｸﾗ',
        birthDate: '2000-02-29',
        pin: '5555',
        phone,
      });
      await stepUp(app, w, u);
      const c2 = await call(app, 'POST', '/v1/bank-links', {
        token: u.token,
        headers: u.headers,
        body: { bankCode: acct2.bankCode, branchCode: acct2.branchCode, accountNumber: acct2.accountNumber },
      });
      await call(app, 'POST', `/v1/bank-links/${c2.json.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { pin: '5555' },
      });
      const replay = await call(app, 'POST', `/v1/bank-links/${c2.json.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { pin: '5555', otp },
      });
      expect(replay.json.status).toBe('pending_authorization');
      expect(replay.json.authorization.attemptsLeft).toBe(2);
      w.clock.advance(11 * 60_000);
      const late = await call(app, 'POST', `/v1/bank-links/${c2.json.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { pin: '5555', otp: await latestCode(app, phone) },
      });
      // expiry is one channel: the link exists and has failed, so 200 with the failed link (as when the bank says so)
      expect([late.status, late.json.status, late.json.failureCode]).toEqual([200, 'failed', 'authorization_expired']);
      const again = await call(app, 'POST', `/v1/bank-links/${c2.json.id}/authorize`, {
        token: u.token,
        headers: u.headers,
        body: { pin: '5555', otp: await latestCode(app, phone) },
      });
      expect([again.status, again.json.error.code]).toEqual([409, 'invalid_state']);
    });
  });

  it('one bank account serves one wallet', async () => {
    const phone = newPhone();
    const acct = await bankAccount(app, {
      bankCode: banks.otp.code,
      branchCode: banks.otp.branch,
      holderNameKana: 'ﾔﾏﾀﾞ ﾊﾅｺ',
      birthDate: '1985-04-12',
      pin: '7777',
      phone,
    });
    // Two people who share the account holder's name and birth date: one identity document verifies one wallet.
    const sameName = () =>
      registeredPerson(app, {
        familyName: '山田',
        givenName: '花子',
        familyNameKana: 'ヤマダ',
        givenNameKana: 'ハナコ',
        birthDate: '1985-04-12',
      });
    const first = await walletUser(app, w, { person: await sameName() });
    expect((await honestLink(first, acct, '7777', phone)).second.json.status).toBe('active');
    const second = await walletUser(app, w, { person: await sameName() });
    expect((await honestLink(second, acct, '7777', phone)).second.json).toMatchObject({
      status: 'failed',
      failureCode: 'account_already_linked',
    });
  });

  it('“this wasn’t me” freezes the links and the wallet, holds pending charges and opens a case', async () => {
    const phone = newPhone();
    const p = await registeredPerson(app, {
      familyName: '中村',
      givenName: '愛',
      familyNameKana: 'ナカムラ',
      givenNameKana: 'アイ',
      birthDate: '1980-08-08',
    });
    const acct = await bankAccount(app, {
      bankCode: banks.otp.code,
      branchCode: banks.otp.branch,
      holderNameKana: 'ﾅｶﾑﾗ ｱｲ',
      birthDate: '1980-08-08',
      pin: '8888',
      phone,
    });
    const u = await walletUser(app, w, { person: p, phone });
    const l = await honestLink(u, acct, '8888', phone);
    await call(app, 'POST', '/v1/charges', { token: u.token, key: k(), body: { bankLinkId: l.id, amount: 4_000 } });
    await w.sandbox.bank.setFault(acct.bankCode, 'timeout', 1);
    const pending = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      key: k(),
      body: { bankLinkId: l.id, amount: 1_000 },
    });
    await w.sandbox.bank.setFault(acct.bankCode, 'timeout', 0);
    expect(pending.json.status).toBe('pending');
    const r = await call(
      app,
      'POST',
      `/sandbox/bank-accounts/${acct.bankCode}/${acct.branchCode}/${acct.accountNumber}/report-unauthorized`,
    );
    expect(r.json).toMatchObject({ frozenLinks: [l.id], frozenWallets: [u.userId], heldCharges: [pending.json.id] });
    expect(r.json.caseId).toMatch(/^case_/);
    expect((await call(app, 'GET', `/v1/bank-links/${l.id}`, { token: u.token })).json.status).toBe('frozen');
    const m = await call(app, 'POST', '/sandbox/merchants', { body: { name: 'Shop' } });
    const pay = await call(app, 'POST', '/v1/payments', {
      token: u.token,
      key: k(),
      body: { merchantId: m.json.id, amount: 100 },
    });
    expect([pay.status, pay.json.error.code]).toEqual([403, 'wallet_frozen']);
    expect((await call(app, 'GET', `/v1/charges/${pending.json.id}`, { token: u.token })).json.status).toBe(
      'in_review',
    );
  });

  it('“this wasn’t me” about one attempt (the notice’s reference) freezes that wallet alone, not the holder’s own', async () => {
    const phone = newPhone();
    const holder = {
      familyName: '小林',
      givenName: '薫',
      familyNameKana: 'コバヤシ',
      givenNameKana: 'カオル',
      birthDate: '1983-03-03',
    };
    const acct = await bankAccount(app, {
      bankCode: banks.otp.code,
      branchCode: banks.otp.branch,
      holderNameKana: 'ｺﾊﾞﾔｼ ｶｵﾙ',
      birthDate: '1983-03-03',
      pin: '6161',
      phone,
    });
    const u = await walletUser(app, w, { person: await registeredPerson(app, holder), phone });
    const own = await honestLink(u, acct, '6161', phone);
    // A criminal with a forged document in the holder's name tries the account with a wrong PIN, twice (a third
    // would lock the account at the bank).
    const thief = await walletUser(app, w, { person: await registeredPerson(app, holder), phone: newPhone() });
    await stepUp(app, w, thief);
    const t = await call(app, 'POST', '/v1/bank-links', {
      token: thief.token,
      headers: thief.headers,
      body: {
        bankCode: acct.bankCode,
        branchCode: acct.branchCode,
        accountType: 'ordinary',
        accountNumber: acct.accountNumber,
      },
    });
    expect(t.status, t.body).toBe(201);
    for (let i = 0; i < 2; i++)
      await call(app, 'POST', `/v1/bank-links/${t.json.id}/authorize`, {
        token: thief.token,
        headers: thief.headers,
        body: { pin: '0000' },
      });
    // The bank's notices name the link each one is about.
    const notices = (await w.sandbox.mailbox.messagesTo(phone)).filter((m) => m.channel === 'bank_notice');
    expect(notices.some((n) => n.body.includes(`連携ID ${t.json.id}`))).toBe(true);
    expect(notices.some((n) => n.body.includes(`連携ID ${own.id}`))).toBe(true);
    const url = `/sandbox/bank-accounts/${acct.bankCode}/${acct.branchCode}/${acct.accountNumber}/report-unauthorized`;
    const casesBefore = await w.db.selectFrom('cases').select('id').where('kind', '=', 'unauthorized_report').execute();
    const attemptBefore = await call(app, 'GET', `/v1/bank-links/${t.json.id}`, { token: thief.token });
    const unknown = await call(app, 'POST', url, { body: { reference: 'lnk_not_on_this_account' } });
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'not_found']);
    for (const body of [{ reference: '' }, { reference: t.json.id, also: 'x' }, { reference: 'x'.repeat(65) }]) {
      const bad = await call(app, 'POST', url, { body });
      expect([bad.status, bad.json.error.code], JSON.stringify(body)).toEqual([400, 'invalid_request']);
    }
    // None of those changed anything: the attempt is as it was, the thief's wallet still moves money, no case opened.
    const attempt = await call(app, 'GET', `/v1/bank-links/${t.json.id}`, { token: thief.token });
    expect(attempt.json).toEqual(attemptBefore.json);
    expect((await w.identity.getUser(thief.userId))?.frozen).toBe(false);
    expect(await w.db.selectFrom('cases').select('id').where('kind', '=', 'unauthorized_report').execute()).toEqual(
      casesBefore,
    );
    expect((await call(app, 'GET', `/v1/bank-links/${own.id}`, { token: u.token })).json.status).toBe('active');
    const r = await call(app, 'POST', url, { body: { reference: t.json.id } });
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({ frozenLinks: [t.json.id], frozenWallets: [thief.userId], heldCharges: [] });
    // The holder's own link and wallet are untouched, and their next charge is not held as "near fraud".
    expect((await call(app, 'GET', `/v1/bank-links/${own.id}`, { token: u.token })).json.status).toBe('active');
    const charge = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      headers: u.headers,
      key: k(),
      body: { bankLinkId: own.id, amount: 3_000 },
    });
    expect([charge.status, charge.json.status]).toEqual([201, 'succeeded']);
    const m = await call(app, 'POST', '/sandbox/merchants', { body: { name: 'Shop' } });
    const pay = await call(app, 'POST', '/v1/payments', {
      token: thief.token,
      key: k(),
      body: { merchantId: m.json.id, amount: 100 },
    });
    expect([pay.status, pay.json.error.code]).toEqual([403, 'wallet_frozen']);
    // A debit is named by its statement reference: it freezes the link that made it.
    const byDebit = await call(app, 'POST', url, { body: { reference: charge.json.id } });
    expect(byDebit.json).toMatchObject({ frozenLinks: [own.id], frozenWallets: [u.userId] });
  });

  it('a first withdrawal to a link needs a fresh step-up; the registration-changes switch blocks unlinking', async () => {
    const phone = newPhone();
    const p = await registeredPerson(app, {
      familyName: '加藤',
      givenName: '誠',
      familyNameKana: 'カトウ',
      givenNameKana: 'マコト',
      birthDate: '1975-05-05',
    });
    const acct = await bankAccount(app, {
      bankCode: banks.otp.code,
      branchCode: banks.otp.branch,
      holderNameKana: 'ｶﾄｳ ﾏｺﾄ',
      birthDate: '1975-05-05',
      pin: '3333',
      phone,
    });
    const u = await walletUser(app, w, { person: p, phone });
    const l = await honestLink(u, acct, '3333', phone);
    await call(app, 'POST', '/v1/charges', { token: u.token, key: k(), body: { bankLinkId: l.id, amount: 8_000 } });
    w.clock.advance(6 * 60_000);
    // The first withdrawal waits for a second factor on the object itself, its money held (docs/api.md decisions).
    const wd = await call(app, 'POST', '/v1/withdrawals', {
      token: u.token,
      key: k(),
      body: { bankLinkId: l.id, amount: 1_000 },
    });
    expect([wd.status, wd.json.status, wd.json.nextAction?.confirmUrl]).toEqual([
      201,
      'requires_action',
      `/v1/withdrawals/${wd.json.id}/confirm`,
    ]);
    await stepUp(app, w, u);
    expect(
      (
        await call(app, 'POST', '/v1/withdrawals', {
          token: u.token,
          key: k(),
          body: { bankLinkId: l.id, amount: 1_000 },
        })
      ).json.status,
    ).toBe('succeeded');
    await w.db
      .updateTable('bank_settings')
      .set({ registration_changes: false })
      .where('bank_code', '=', banks.otp.code)
      .execute();
    const del = await call(app, 'DELETE', `/v1/bank-links/${l.id}`, { token: u.token });
    expect([del.status, del.json.error.code]).toEqual([409, 'registration_changes_suspended']);
    await w.db
      .updateTable('bank_settings')
      .set({ registration_changes: true })
      .where('bank_code', '=', banks.otp.code)
      .execute();
    expect((await call(app, 'DELETE', `/v1/bank-links/${l.id}`, { token: u.token })).json.status).toBe('unlinked');
  });

  it('a bank’s linking switch takes effect at once', async () => {
    const p = await registeredPerson(app, {
      familyName: '小林',
      givenName: '翔',
      familyNameKana: 'コバヤシ',
      givenNameKana: 'ショウ',
      birthDate: '1999-09-09',
    });
    const u = await walletUser(app, w, { person: p });
    await stepUp(app, w, u);
    await w.db.updateTable('bank_settings').set({ linking: false }).where('bank_code', '=', banks.otp.code).execute();
    const r = await call(app, 'POST', '/v1/bank-links', {
      token: u.token,
      headers: u.headers,
      body: { bankCode: banks.otp.code, branchCode: banks.otp.branch, accountNumber: '1234567' },
    });
    expect([r.status, r.json.error.code]).toEqual([409, 'linking_suspended']);
    await w.db.updateTable('bank_settings').set({ linking: true }).where('bank_code', '=', banks.otp.code).execute();
    const b = (await call(app, 'GET', '/v1/banks?participating=true')).json.data.find(
      (x: { code: string }) => x.code === banks.otp.code,
    );
    expect(b.linking).toBe(true);
  });
});
