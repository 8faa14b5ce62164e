import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { DEFAULT_POLICY } from '../src/wallet/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** An instant as the wallet shows it, written out here so the test does not trust the code under test. */
const jst = (iso: string) =>
  `${new Date(new Date(iso).getTime() + 9 * HOUR).toISOString().slice(0, 16).replace('T', ' ')} JST`;

/**
 * Restrictions from the default rule pack, end to end: a rule's decision attaches them, every money flow enforces
 * them (422 restricted_<type>), GET /v1/wallet and GET /v1/bank-links/{id} show them with their expiry in plain
 * words, and they lapse on their own. No cooling-off in this world, so a fresh link can be drained by the engine's
 * measure (link_then_drain is the defence under test, not the cooling-off cap).
 */
describe.each(DATABASES)('risk restrictions on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let merchant: { id: string };
  let key = 0;
  const k = () => `rst-${kind}-${key++}`;
  const wallet = async (c: Customer) => (await call(app, 'GET', '/v1/wallet', { token: c.token })).json;
  const linkOf = async (c: Customer, id: string) =>
    (await call(app, 'GET', `/v1/bank-links/${id}`, { token: c.token })).json;
  /** A second bank account of the same customer, linked long ago (it never charged the wallet). */
  const secondLink = async (c: Customer) => {
    const { accountNumber } = await w.sandbox.bank.openAccount({
      bankCode: c.bankAccount.bankCode,
      branchCode: c.bankAccount.branchCode,
      accountType: 'ordinary',
      holderNameKana: 'ﾔﾏﾀﾞ ﾊﾅｺ',
      birthDate: '1985-04-12',
      pin: '4821',
      phone: c.phone,
      balance: amount(100_000),
    });
    return w.banks.links.createActiveLink(
      c.actor.id,
      {
        bankCode: c.bankAccount.bankCode,
        branchCode: c.bankAccount.branchCode,
        accountType: 'ordinary',
        accountNumber,
      },
      new Date(w.clock.now().getTime() - 30 * 24 * HOUR),
      2,
    );
  };

  beforeAll(async () => {
    w = await createWorld(kind, { policy: { ...DEFAULT_POLICY, coolingOffDays: 0 } });
    app = await httpApp(w);
    merchant = await w.wallet.payments.createMerchant('Konbini');
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  it('cash_out: the transfer is held, then transfers are refused for 24 h and withdrawals go only to the charging account for 7 days', async () => {
    const c = await customer(w);
    const friend = await customer(w);
    const other = await secondLink(c);
    expect((await wallet(c)).restrictions).toEqual([]);
    const ch = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      body: { bankLinkId: c.link.id, amount: 20_000 },
    });
    expect(ch.json).toMatchObject({ status: 'succeeded', risk: { decision: 'allow' } });
    w.clock.advance(10 * MINUTE);

    const out = await call(app, 'POST', '/v1/transfers', {
      token: c.token,
      key: k(),
      body: { to: { userId: friend.actor.id }, amount: 17_000 },
    });
    expect(out.status).toBe(201);
    expect(out.json).toMatchObject({
      status: 'in_review',
      risk: {
        decision: 'review',
        reasons: [{ rule: 'cash_out' }],
        restrictions: [
          { type: 'no_outgoing_transfers', until: new Date(w.clock.now().getTime() + 24 * HOUR).toISOString() },
          {
            type: 'withdrawals_to_charging_account_only',
            until: new Date(w.clock.now().getTime() + 168 * HOUR).toISOString(),
          },
        ],
      },
    });

    // Enforced by every flow.
    const again = await call(app, 'POST', '/v1/transfers', {
      token: c.token,
      key: k(),
      body: { to: { userId: friend.actor.id }, amount: 500 },
    });
    expect([again.status, again.json.error?.code]).toEqual([422, 'restricted_no_outgoing_transfers']);
    expect(again.json.error.details).toMatchObject({ restriction: 'no_outgoing_transfers' });
    const elsewhere = await call(app, 'POST', '/v1/withdrawals', {
      token: c.token,
      key: k(),
      body: { bankLinkId: other.id, amount: 1_000 },
    });
    expect([elsewhere.status, elsewhere.json.error?.code]).toEqual([
      422,
      'restricted_withdrawals_to_charging_account_only',
    ]);
    const home = await call(app, 'POST', '/v1/withdrawals', {
      token: c.token,
      key: k(),
      body: { bankLinkId: c.link.id, amount: 1_000 },
    });
    expect(home.status, home.body).toBe(201);
    expect(home.json.status).toBe('succeeded');
    const shop = await call(app, 'POST', '/v1/payments', {
      token: c.token,
      key: k(),
      body: { merchantId: merchant.id, amount: 800 },
    });
    expect([shop.status, shop.json.status]).toEqual([201, 'succeeded']);

    // Shown on the wallet, with the expiry in plain words (Asia/Tokyo).
    const shown = (await wallet(c)).restrictions as Array<{ type: string; until: string; description: string }>;
    expect(shown.map((r) => r.type)).toEqual(['no_outgoing_transfers', 'withdrawals_to_charging_account_only']);
    for (const r of shown) {
      expect(r).not.toHaveProperty('bankLinkId');
      expect(r.description).toContain(`until ${jst(r.until)}`);
    }
    expect(shown[0]!.description).toMatch(/^No transfers to other people/);
    // Wallet-wide restrictions on withdrawals and transfers are not a link's: the link shows none.
    expect((await linkOf(c, c.link.id)).restrictions).toEqual([]);

    // 24 hours on, transfers are allowed again; withdrawals still only to the charging account.
    w.clock.advance(24 * HOUR);
    expect((await wallet(c)).restrictions.map((r: { type: string }) => r.type)).toEqual([
      'withdrawals_to_charging_account_only',
    ]);
    const later = await call(app, 'POST', '/v1/transfers', {
      token: c.token,
      key: k(),
      body: { to: { userId: friend.actor.id }, amount: 500 },
    });
    expect([later.status, later.json.status]).toEqual([201, 'succeeded']);
    expect(
      (
        await call(app, 'POST', '/v1/withdrawals', {
          token: c.token,
          key: k(),
          body: { bankLinkId: other.id, amount: 500 },
        })
      ).json.error?.code,
    ).toBe('restricted_withdrawals_to_charging_account_only');

    // After 7 days nothing is left.
    w.clock.advance(6 * 24 * HOUR);
    expect((await wallet(c)).restrictions).toEqual([]);
    // What still refuses the other account is the wallet's withdrawal-account rule (withdrawals go to the designated
    // account only), no longer the restriction.
    const free = await call(app, 'POST', '/v1/withdrawals', {
      token: c.token,
      key: k(),
      body: { bankLinkId: other.id, amount: 500 },
    });
    expect([free.status, free.json.error?.code]).toEqual([422, 'not_withdrawal_account']);
  });

  it('link_then_drain: the charge is held and the link capped at ¥10,000 a day for 7 days, on that link only', async () => {
    const c = await customer(w, { coolingOff: true });
    const other = await secondLink(c);
    const drain = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      body: { bankLinkId: c.link.id, amount: 100_000 },
    });
    expect(drain.json).toMatchObject({
      status: 'in_review',
      risk: {
        decision: 'review',
        reasons: [{ rule: 'link_then_drain' }],
        restrictions: [{ type: 'charge_daily_cap', limit: 10_000 }],
      },
    });
    const until = drain.json.risk.restrictions[0].until as string;
    expect(until).toBe(new Date(w.clock.now().getTime() + 168 * HOUR).toISOString());

    // The held charge counts as charged today: nothing more on this link today.
    const more = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      body: { bankLinkId: c.link.id, amount: 1_000 },
    });
    expect([more.status, more.json.error?.code]).toEqual([422, 'restricted_charge_daily_cap']);
    expect(more.json.error.details).toMatchObject({ restriction: 'charge_daily_cap', limit: 10_000, until });
    // The cap binds the link, not the wallet: the old link charges as before.
    const old = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      body: { bankLinkId: other.id, amount: 30_000 },
    });
    expect([old.status, old.json.status]).toEqual([201, 'succeeded']);
    // Payments to merchants are untouched.
    const shop = await call(app, 'POST', '/v1/payments', {
      token: c.token,
      key: k(),
      body: { merchantId: merchant.id, amount: 2_000 },
    });
    expect(shop.json.status).toBe('succeeded');

    // Shown on the wallet (with the link) and on that link, not on the other one.
    const shown = (await wallet(c)).restrictions;
    expect(shown).toEqual([
      {
        type: 'charge_daily_cap',
        limit: 10_000,
        until,
        message: 'This bank link may charge at most ¥10,000 a day for 7 days.',
        description: `This bank link may charge at most ¥10,000 a day for 7 days. (until ${jst(until)})`,
        bankLinkId: c.link.id,
      },
    ]);
    expect((await linkOf(c, c.link.id)).restrictions).toEqual(shown);
    expect((await linkOf(c, other.id)).restrictions).toEqual([]);

    // The next Tokyo day: ¥10,000 goes through, a yen more does not.
    w.clock.advance(24 * HOUR);
    const over = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      body: { bankLinkId: c.link.id, amount: 10_001 },
    });
    expect(over.json.error?.code).toBe('restricted_charge_daily_cap');
    const within = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      body: { bankLinkId: c.link.id, amount: 10_000 },
    });
    expect([within.status, within.json.status]).toEqual([201, 'succeeded']);

    // Gone at its expiry (exclusive): the link charges to its ordinary limits again.
    w.clock.set(new Date(until));
    expect((await wallet(c)).restrictions).toEqual([]);
    expect((await linkOf(c, c.link.id)).restrictions).toEqual([]);
    const free = await call(app, 'POST', '/v1/charges', {
      token: c.token,
      key: k(),
      body: { bankLinkId: c.link.id, amount: 50_000 },
    });
    expect([free.status, free.json.status]).toEqual([201, 'succeeded']);
  });
});
