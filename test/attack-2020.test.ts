import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINKING_POLICY_2020 } from '../src/banks/policy.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { WALLET_POLICY_2020 } from '../src/wallet/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { bankAccount, firstBranch, walletUser } from './support/people.ts';
import { type World, createWorld, newPhone } from './support/world.ts';

/**
 * The switches are real: with every defence set to the 2020 service's configuration, the 2020 attack works
 * end to end — an email-only wallet links a victim's account with a phished account number, PIN and birth
 * date, and drains it in minutes. (linking.test.ts shows each defence stopping it on its own.)
 */
describe.each(DATABASES)('the 2020 attack under the 2020 configuration on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  beforeAll(async () => {
    w = await createWorld(kind, { policy: WALLET_POLICY_2020, linkingPolicy: LINKING_POLICY_2020, risk: false });
    app = await httpApp(w, { trustProxy: true });
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  it('an email-only wallet links a legacy_pin account with phished data and charges ¥300,000 in four charges', async () => {
    const banks = (await call(app, 'GET', '/v1/banks?participating=true')).json.data as Array<{
      code: string;
      authMethod: string;
    }>;
    const legacy = banks.find((b) => b.authMethod === 'legacy_pin')!;
    const victimPhone = newPhone();
    const victim = await bankAccount(app, {
      bankCode: legacy.code,
      branchCode: await firstBranch(app, legacy.code),
      holderNameKana: 'ﾀｶﾊｼ ﾐﾁｺ',
      birthDate: '1948-06-20',
      pin: '1234',
      phone: victimPhone,
      balance: 2_000_000,
    });
    // No phone confirmation, no eKYC, no TOTP: an email address is all the attacker has.
    const attacker = await walletUser(app, w, { confirmPhone: false, totp: false });
    const c = await call(app, 'POST', '/v1/bank-links', {
      token: attacker.token,
      headers: attacker.headers,
      body: { bankCode: victim.bankCode, branchCode: victim.branchCode, accountNumber: victim.accountNumber },
    });
    expect(c.json).toMatchObject({
      status: 'pending_authorization',
      authorization: { method: 'legacy_pin', step: 'pin' },
    });
    const a = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
      token: attacker.token,
      headers: attacker.headers,
      body: { pin: '1234', birthDate: '1948-06-20' },
    });
    expect(a.json.status).toBe('active');
    const amounts = [100_000, 90_000, 90_000, 20_000];
    for (const [i, amount] of amounts.entries()) {
      const r = await call(app, 'POST', '/v1/charges', {
        token: attacker.token,
        key: `drain-${i}`,
        body: { bankLinkId: c.json.id, amount },
      });
      expect(r.json, JSON.stringify(r.json)).toMatchObject({ status: 'succeeded' });
      w.clock.advance(30_000);
    }
    expect((await call(app, 'GET', '/v1/wallet', { token: attacker.token })).json.balance).toBe(300_000);
    const acct = await call(
      app,
      'GET',
      `/sandbox/bank-accounts/${victim.bankCode}/${victim.branchCode}/${victim.accountNumber}`,
    );
    expect(acct.json.balance).toBe(1_700_000);
    // And in 2020 nobody told the victim about the link (only the debits show on the statement).
    expect(acct.json.notices.some((n: { body: string }) => n.body.includes('連携'))).toBe(false);
  });

  it('reverse brute force is not detected: one PIN sprayed over many accounts finds its victim', async () => {
    const banks = (await call(app, 'GET', '/v1/banks?participating=true')).json.data as Array<{
      code: string;
      authMethod: string;
    }>;
    const legacy = banks.filter((b) => b.authMethod === 'legacy_pin')[1]!;
    const branch = await firstBranch(app, legacy.code);
    const accounts = [];
    for (let i = 0; i < 12; i++)
      accounts.push(
        await bankAccount(app, {
          bankCode: legacy.code,
          branchCode: branch,
          holderNameKana: 'ﾃｽﾄ ﾀﾛｳ',
          birthDate: '1950-01-01',
          pin: i === 11 ? '1111' : '9876',
          phone: newPhone(),
        }),
      );
    const attacker = await walletUser(app, w, { confirmPhone: false, totp: false });
    let linked = 0;
    for (const acct of accounts) {
      const c = await call(app, 'POST', '/v1/bank-links', {
        token: attacker.token,
        headers: attacker.headers,
        body: { bankCode: acct.bankCode, branchCode: acct.branchCode, accountNumber: acct.accountNumber },
      });
      const a = await call(app, 'POST', `/v1/bank-links/${c.json.id}/authorize`, {
        token: attacker.token,
        headers: attacker.headers,
        body: { pin: '1111', birthDate: '1950-01-01' },
      });
      expect(a.status).toBe(200);
      if (a.json.status === 'active') linked++;
    }
    expect(linked).toBe(1);
  });
});
