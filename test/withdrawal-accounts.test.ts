import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

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
});
