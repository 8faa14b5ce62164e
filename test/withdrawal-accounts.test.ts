import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp, ledgerSnapshot } from './support/http.ts';
import {
  type WalletUser,
  bankAccount,
  firstBranch,
  latestCode,
  registeredPerson,
  stepUp,
  walletUser,
} from './support/people.ts';
import { type Customer, type World, createWorld, customer, newPhone } from './support/world.ts';

const HOUR = 3600 * 1000;
let seq = 0;
const k = () => `wa-${Date.now()}-${seq++}`;

async function fund(w: World, userId: string, yen: number): Promise<void> {
  const wallet = await w.wallet.accounts.walletAccountOf(userId);
  const source = await w.ledger.systemAccount(w.db, 'compensation');
  await w.db
    .transaction()
    .execute((trx) =>
      w.ledger.transfer(trx, [
        { debitAccountId: source, creditAccountId: wallet, amount: amount(yen), code: 'test_funding' },
      ]),
    );
}

/** A second account of the customer at the same bank, linked and past its charging cooling-off. */
async function secondLink(w: World, c: Customer) {
  const { accountNumber } = await w.sandbox.bank.openAccount({
    bankCode: c.bankAccount.bankCode,
    branchCode: c.bankAccount.branchCode,
    accountType: 'ordinary',
    holderNameKana: 'ﾔﾏﾀﾞ ﾊﾅｺ',
    birthDate: '1985-04-12',
    pin: '4821',
    phone: c.phone,
    balance: amount(1),
  });
  return w.banks.links.createActiveLink(
    c.actor.id,
    { bankCode: c.bankAccount.bankCode, branchCode: c.bankAccount.branchCode, accountType: 'ordinary', accountNumber },
    new Date(w.clock.now().getTime() - 30 * 24 * HOUR),
  );
}

async function setElevation(w: World, c: Customer, until: Date | null): Promise<void> {
  await w.db.updateTable('sessions').set({ elevated_until: until }).where('user_id', '=', c.actor.id).execute();
  w.identity.forgetUser(c.actor.id);
}

describe.each(DATABASES)('withdrawal accounts on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w);
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  const withdraw = (c: Customer, bankLinkId: string, yen = 1_000) =>
    call(app, 'POST', '/v1/withdrawals', { token: c.token, key: k(), body: { bankLinkId, amount: yen } });
  const messagesSince = (at: Date) =>
    w.db.selectFrom('sandbox_messages').selectAll().where('created_at', '>=', at).orderBy('id').execute();

  it('the first link is the withdrawal account at once: no cooling-off, withdrawals go (no regression)', async () => {
    const c = await customer(w);
    await fund(w, c.actor.id, 10_000);
    const wallet = (await call(app, 'GET', '/v1/wallet', { token: c.token })).json;
    expect(wallet.withdrawalAccount).toEqual({ bankLinkId: c.link.id, since: expect.any(String) });
    const r = await withdraw(c, c.link.id);
    expect([r.status, r.json.status], r.body).toEqual([201, 'succeeded']);
  });

  it('a new withdrawal account needs a step-up, is told on every channel and cools off; the old one still works', async () => {
    const c = await customer(w, { elevated: false });
    await fund(w, c.actor.id, 50_000);
    const other = await secondLink(w, c);
    const user = await w.identity.getUser(c.actor.id);

    // Another link is not where withdrawals go.
    await setElevation(w, c, new Date(w.clock.now().getTime() + 365 * 24 * HOUR));
    const elsewhere = await withdraw(c, other.id);
    expect([elsewhere.status, elsewhere.json.error?.code]).toEqual([422, 'not_withdrawal_account']);

    // Designating it needs a fresh second factor: 403 with where to get one; nothing changes.
    await setElevation(w, c, null);
    const refused = await call(app, 'POST', `/v1/bank-links/${other.id}/withdrawal-account`, { token: c.token });
    expect([refused.status, refused.json.error?.code]).toEqual([403, 'step_up_required']);
    expect(refused.json.error.details.stepUp).toBeTruthy();
    expect((await call(app, 'GET', '/v1/wallet', { token: c.token })).json.withdrawalAccount.bankLinkId).toBe(
      c.link.id,
    );

    await setElevation(w, c, new Date(w.clock.now().getTime() + 365 * 24 * HOUR));
    const before = w.clock.now();
    const moved = await call(app, 'POST', `/v1/bank-links/${other.id}/withdrawal-account`, { token: c.token });
    expect(moved.status, moved.body).toBe(200);
    const until = new Date(before.getTime() + 72 * HOUR).toISOString();
    expect(moved.json).toEqual({ bankLinkId: other.id, since: before.toISOString(), coolingOffUntil: until });
    expect((await call(app, 'GET', '/v1/wallet', { token: c.token })).json.withdrawalAccount).toEqual(moved.json);

    // SMS and email to the user, a bank notice to the new account's holder.
    const told = (await messagesSince(before)).filter((m) => /withdrawals from your wallet|出金先/.test(m.body));
    expect(told.filter((m) => m.channel === 'sms' && m.recipient === c.phone)).toHaveLength(1);
    expect(told.filter((m) => m.channel === 'email' && m.recipient === user.email)).toHaveLength(1);
    expect(told.filter((m) => m.channel === 'bank_notice')).toHaveLength(1);
    expect(told).toHaveLength(3);

    // Cooling off: the new account waits with the date; the previous one still receives.
    const early = await withdraw(c, other.id);
    expect([early.status, early.json.error?.code]).toEqual([422, 'withdrawal_account_cooling_off']);
    expect(early.json.error.details.until).toBe(until);
    const old = await withdraw(c, c.link.id);
    expect([old.status, old.json.status], old.body).toEqual([201, 'succeeded']);

    // Designating it again changes nothing (no second cooling-off, no second notice).
    const again = await call(app, 'POST', `/v1/bank-links/${other.id}/withdrawal-account`, { token: c.token });
    expect(again.json).toEqual(moved.json);

    // After the period: the new account receives, the old one no longer does.
    w.clock.advance(72 * HOUR + 1000);
    const later = await withdraw(c, other.id);
    expect([later.status, later.json.status], later.body).toEqual([201, 'succeeded']);
    const stale = await withdraw(c, c.link.id);
    expect([stale.status, stale.json.error?.code]).toEqual([422, 'not_withdrawal_account']);
    expect((await call(app, 'GET', '/v1/wallet', { token: c.token })).json.withdrawalAccount).toEqual({
      bankLinkId: other.id,
      since: before.toISOString(),
    });
  });

  it('going back to the account withdrawals still go to during a cooling-off starts none', async () => {
    const c = await customer(w);
    const other = await secondLink(w, c);
    const first = await call(app, 'POST', `/v1/bank-links/${other.id}/withdrawal-account`, { token: c.token });
    expect(first.json.coolingOffUntil).toBeDefined();
    const back = await call(app, 'POST', `/v1/bank-links/${c.link.id}/withdrawal-account`, { token: c.token });
    expect(back.status, back.body).toBe(200);
    expect(back.json.bankLinkId).toBe(c.link.id);
    expect(back.json.coolingOffUntil).toBeUndefined();
  });

  it('bad input: someone else’s or an unknown link is 404, an unlinked one 409; nothing changes', async () => {
    const [c, d] = [await customer(w), await customer(w)];
    const other = await secondLink(w, c);
    await w.banks.links.unlink(c.actor.id, other.id);
    const theirs = await call(app, 'POST', `/v1/bank-links/${d.link.id}/withdrawal-account`, { token: c.token });
    expect([theirs.status, theirs.json.error?.code]).toEqual([404, 'unknown_bank_link']);
    const unknown = await call(app, 'POST', '/v1/bank-links/lnk_nope/withdrawal-account', { token: c.token });
    expect([unknown.status, unknown.json.error?.code]).toEqual([404, 'unknown_bank_link']);
    const unlinked = await call(app, 'POST', `/v1/bank-links/${other.id}/withdrawal-account`, { token: c.token });
    expect([unlinked.status, unlinked.json.error?.code]).toEqual([409, 'invalid_state']);
    expect((await call(app, 'GET', '/v1/wallet', { token: c.token })).json.withdrawalAccount).toEqual({
      bankLinkId: c.link.id,
      since: expect.any(String),
    });
  });

  const setElevationOf = async (userId: string, until: Date | null) => {
    await w.db.updateTable('sessions').set({ elevated_until: until }).where('user_id', '=', userId).execute();
    w.identity.forgetUser(userId);
  };

  /** A wallet user who passed eKYC as ﾔﾏﾀﾞ ﾊﾅｺ and holds two accounts at an `otp` bank in that name. */
  async function hanakoWithTwoAccounts() {
    const banks = (await call(app, 'GET', '/v1/banks?participating=true')).json.data as Array<{
      code: string;
      authMethod: string;
    }>;
    const bankCode = banks.find((b) => b.authMethod === 'otp' && b.code !== '9900')!.code;
    const branchCode = await firstBranch(app, bankCode);
    const phone = newPhone();
    const holder = { bankCode, branchCode, holderNameKana: 'ﾔﾏﾀﾞ ﾊﾅｺ', birthDate: '1985-04-12', pin: '4821', phone };
    const [first, second] = [await bankAccount(app, holder), await bankAccount(app, holder)];
    const person = await registeredPerson(app, {
      familyName: '山田',
      givenName: '花子',
      familyNameKana: 'ヤマダ',
      givenNameKana: 'ハナコ',
      birthDate: '1985-04-12',
    });
    const u = await walletUser(app, w, { person, phone });
    // The session outlives the cooling-off the test waits out.
    await w.db
      .updateTable('sessions')
      .set({ expires_at: new Date(w.clock.now().getTime() + 3650 * 24 * HOUR) })
      .where('user_id', '=', u.userId)
      .execute();
    w.identity.forgetUser(u.userId);
    return { u, first, second };
  }

  /** POST /v1/bank-links (after a step-up), then the bank's PIN and one-time code. */
  async function linkOverHttp(
    u: WalletUser,
    acct: { bankCode: string; branchCode: string; accountNumber: string },
    purpose?: 'withdrawals',
  ) {
    await stepUp(app, w, u);
    const { bankCode, branchCode, accountNumber } = acct;
    const started = await call(app, 'POST', '/v1/bank-links', {
      token: u.token,
      headers: u.headers,
      body: { bankCode, branchCode, accountType: 'ordinary', accountNumber, ...(purpose ? { purpose } : {}) },
    });
    expect(started.status, started.body).toBe(201);
    const path = `/v1/bank-links/${started.json.id}/authorize`;
    await call(app, 'POST', path, { token: u.token, headers: u.headers, body: { pin: '4821' } });
    const otp = await latestCode(app, u.phone);
    const done = await call(app, 'POST', path, { token: u.token, headers: u.headers, body: { pin: '4821', otp } });
    expect([done.status, done.json.status], done.body).toEqual([200, 'active']);
    return { started: started.json, active: done.json };
  }

  const stepUpAndWithdraw = async (u: WalletUser, bankLinkId: string) => {
    await stepUp(app, w, u);
    return call(app, 'POST', '/v1/withdrawals', { token: u.token, key: k(), body: { bankLinkId, amount: 1_000 } });
  };

  it('a withdrawals-only link needs a step-up, is never charged, and once active is the withdrawal account after the cooling-off, the user told on every channel', async () => {
    const { u, first, second } = await hanakoWithTwoAccounts();
    await fund(w, u.userId, 20_000);
    const a = await linkOverHttp(u, first);
    expect(a.active.purpose).toBe('charges_and_withdrawals');
    expect((await call(app, 'GET', '/v1/wallet', { token: u.token })).json.withdrawalAccount).toEqual({
      bankLinkId: a.active.id,
      since: expect.any(String),
    });

    // No fresh second factor: 403, no link.
    await setElevationOf(u.userId, null);
    const { bankCode, branchCode, accountNumber } = second;
    const request = { bankCode, branchCode, accountType: 'ordinary', accountNumber, purpose: 'withdrawals' };
    const refused = await call(app, 'POST', '/v1/bank-links', { token: u.token, headers: u.headers, body: request });
    expect([refused.status, refused.json.error?.code]).toEqual([403, 'step_up_required']);
    expect((await call(app, 'GET', '/v1/bank-links', { token: u.token })).json.data).toHaveLength(1);

    const before = w.clock.now();
    const b = await linkOverHttp(u, second, 'withdrawals');
    expect(b.started).toMatchObject({ status: 'pending_authorization', purpose: 'withdrawals' });
    expect(b.active.purpose).toBe('withdrawals');
    const listed = (await call(app, 'GET', '/v1/bank-links', { token: u.token })).json.data as Array<{
      id: string;
      purpose: string;
    }>;
    expect(Object.fromEntries(listed.map((l) => [l.id, l.purpose]))).toEqual({
      [a.active.id]: 'charges_and_withdrawals',
      [b.active.id]: 'withdrawals',
    });

    // Designated as POST …/withdrawal-account would: cooling-off, SMS and email to the user, a bank notice.
    const wa = (await call(app, 'GET', '/v1/wallet', { token: u.token })).json.withdrawalAccount;
    expect(wa).toEqual({ bankLinkId: b.active.id, since: expect.any(String), coolingOffUntil: expect.any(String) });
    expect(Date.parse(wa.coolingOffUntil) - Date.parse(wa.since)).toBe(72 * HOUR);
    const told = (await messagesSince(before)).filter((m) => /withdrawals from your wallet|出金先/.test(m.body));
    expect(told.filter((m) => m.channel === 'sms' && m.recipient === u.phone)).toHaveLength(1);
    expect(told.filter((m) => m.channel === 'email' && m.recipient === u.email)).toHaveLength(1);
    expect(told.filter((m) => m.channel === 'bank_notice')).toHaveLength(1);
    expect(told).toHaveLength(3);

    // Never charged: 422 before anything is written (no charge, no ledger movement, no bank debit).
    const snapshot = await ledgerSnapshot(w);
    await stepUp(app, w, u);
    const charge = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      key: k(),
      body: { bankLinkId: b.active.id, amount: 1_000 },
    });
    expect([charge.status, charge.json.error?.code], charge.body).toEqual([422, 'link_withdrawals_only']);
    expect(await ledgerSnapshot(w)).toBe(snapshot);
    expect(await w.db.selectFrom('charges').select('id').where('user_id', '=', u.userId).execute()).toEqual([]);

    // Cooling off: the new account waits, the previous one still receives; afterwards only the new one.
    const early = await stepUpAndWithdraw(u, b.active.id);
    expect([early.status, early.json.error?.code]).toEqual([422, 'withdrawal_account_cooling_off']);
    expect(early.json.error.details.until).toBe(wa.coolingOffUntil);
    const old = await stepUpAndWithdraw(u, a.active.id);
    expect([old.status, old.json.status], old.body).toEqual([201, 'succeeded']);
    w.clock.advance(72 * HOUR + 1000);
    const later = await stepUpAndWithdraw(u, b.active.id);
    expect([later.status, later.json.status], later.body).toEqual([201, 'succeeded']);
    const stale = await stepUpAndWithdraw(u, a.active.id);
    expect([stale.status, stale.json.error?.code]).toEqual([422, 'not_withdrawal_account']);
  });

  it('a first link that is withdrawals-only is the withdrawal account at once; a default link after it changes nothing and charges', async () => {
    const u = await walletUser(app, w, { totp: false });
    const open = async () =>
      (
        await w.sandbox.bank.openAccount({
          bankCode: '0001',
          branchCode: '001',
          accountType: 'ordinary',
          holderNameKana: 'ﾔﾏﾀﾞ ﾊﾅｺ',
          birthDate: '1985-04-12',
          pin: '4821',
          phone: u.phone,
          balance: amount(100_000),
        })
      ).accountNumber;
    const account = { bankCode: '0001', branchCode: '001', accountType: 'ordinary' as const };
    const past = new Date(w.clock.now().getTime() - 30 * 24 * HOUR);
    const before = w.clock.now();
    const only = await w.banks.links.createActiveLink(
      u.userId,
      { ...account, accountNumber: await open(), purpose: 'withdrawals' },
      past,
    );
    expect(only.purpose).toBe('withdrawals');
    const wallet = async () => (await call(app, 'GET', '/v1/wallet', { token: u.token })).json.withdrawalAccount;
    expect(await wallet()).toEqual({ bankLinkId: only.id, since: past.toISOString() });
    expect((await messagesSince(before)).filter((m) => /withdrawals from your wallet|出金先/.test(m.body))).toEqual([]);
    const refused = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      key: k(),
      body: { bankLinkId: only.id, amount: 1_000 },
    });
    expect([refused.status, refused.json.error?.code]).toEqual([422, 'link_withdrawals_only']);

    const both = await w.banks.links.createActiveLink(u.userId, { ...account, accountNumber: await open() }, past);
    expect(both.purpose).toBe('charges_and_withdrawals');
    expect(await wallet()).toEqual({ bankLinkId: only.id, since: past.toISOString() });
    await setElevationOf(u.userId, new Date(w.clock.now().getTime() + HOUR));
    const charged = await call(app, 'POST', '/v1/charges', {
      token: u.token,
      key: k(),
      body: { bankLinkId: both.id, amount: 1_000 },
    });
    expect([charged.status, charged.json.status], charged.body).toEqual([201, 'succeeded']);
  });

  it('a withdrawals-only link needs the step-up even where the linking policy does not ask for one', async () => {
    const policy = w.linkingPolicy();
    w.setLinkingPolicy({ ...policy, requireStepUp: false });
    try {
      const { u, first, second } = await hanakoWithTwoAccounts();
      const start = (acct: typeof first, purpose?: string) =>
        call(app, 'POST', '/v1/bank-links', {
          token: u.token,
          headers: u.headers,
          body: {
            bankCode: acct.bankCode,
            branchCode: acct.branchCode,
            accountNumber: acct.accountNumber,
            ...(purpose ? { purpose } : {}),
          },
        });
      const plain = await start(first);
      expect([plain.status, plain.json.purpose], plain.body).toEqual([201, 'charges_and_withdrawals']);
      const refused = await start(second, 'withdrawals');
      expect([refused.status, refused.json.error?.code]).toEqual([403, 'step_up_required']);
      await stepUp(app, w, u);
      const started = await start(second, 'withdrawals');
      expect([started.status, started.json.purpose], started.body).toEqual([201, 'withdrawals']);
    } finally {
      w.setLinkingPolicy(policy);
    }
  });
});
