import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { DATABASES } from './support/databases.ts';
import { type World, createWorld, customer } from './support/world.ts';

describe.each(DATABASES)('charges on %s', (kind) => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld(kind);
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await w.close();
  });

  it('debits the bank and credits the wallet', async () => {
    const c = await customer(w);
    const ch = await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(5_000) });
    expect(ch).toMatchObject({ status: 'succeeded', amount: 5_000 });
    expect((await w.wallet.history.summary(c.actor)).balance).toBe(5_000);
    expect((await w.sandbox.bank.findAccount(c.bankAccount))?.balance).toBe(1_995_000);
    const lines = await w.sandbox.bank.statement(c.bankAccount);
    expect(lines[0]?.descriptor).toMatch(/^ｻｲﾌ /);
  });

  it('a decline voids the hold and stores a failed charge', async () => {
    const c = await customer(w, { bankBalance: 1_000 });
    const ch = await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(5_000) });
    expect(ch).toMatchObject({ status: 'failed', failureCode: 'insufficient_funds' });
    expect((await w.wallet.history.summary(c.actor)).balance).toBe(0);
  });

  it('enforces ¥100,000 per charge and ¥300,000 per month, counting holds', async () => {
    const c = await customer(w);
    await expect(
      w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(100_001) }),
    ).rejects.toMatchObject({ code: 'limit_exceeded', details: { limit: 'per_charge' } });
    for (let i = 0; i < 3; i++)
      await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(100_000) });
    await expect(
      w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(1) }),
    ).rejects.toMatchObject({ code: 'limit_exceeded', details: { limit: 'monthly' } });
    // Next Asia/Tokyo month: 2026-11-30T15:00Z is 2026-12-01 00:00 JST.
    w.clock.set('2026-11-30T15:00:00Z');
    const ch = await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(100_000) });
    expect(ch.status).toBe('succeeded');
    w.clock.set('2026-11-10T03:00:00Z');
  });

  it('a timeout leaves the charge pending until the inquiry settles it, exactly once', async () => {
    const c = await customer(w, { bankCode: '0005' });
    await w.sandbox.bank.setFault('0005', 'timeout', 1);
    const ch = await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(7_000) });
    expect(ch.status).toBe('pending');
    expect(await w.wallet.history.summary(c.actor)).toMatchObject({ balance: 0, pending: { incoming: 7_000 } });
    await w.sandbox.bank.clearFaults('0005');
    w.clock.advance(60_000);
    await Promise.all([w.wallet.settleInFlight(), w.wallet.settleInFlight()]);
    const after = await w.wallet.charges.getCharge(c.actor.id, ch.id);
    const bank = await w.sandbox.bank.findAccount(c.bankAccount);
    if (after.status === 'succeeded') {
      expect(bank?.balance).toBe(1_993_000);
      expect((await w.wallet.history.summary(c.actor)).balance).toBe(7_000);
    } else {
      expect(after).toMatchObject({ status: 'failed', failureCode: 'bank_timeout' });
      expect(bank?.balance).toBe(2_000_000);
      expect((await w.wallet.history.summary(c.actor)).balance).toBe(0);
    }
    expect((await w.wallet.history.summary(c.actor)).pending.incoming).toBe(0);
  });

  it('cooling-off caps a new link at ¥10,000 per Tokyo day', async () => {
    const c = await customer(w, { coolingOff: true });
    await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(8_000) });
    await expect(
      w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(3_000) }),
    ).rejects.toMatchObject({ code: 'limit_exceeded', details: { limit: 'new_link_daily', remaining: 2_000 } });
    const s = await w.wallet.history.summary(c.actor);
    expect(s.limits.newLinkDaily).toEqual({ limit: 10_000, used: 8_000, remaining: 2_000 });
  });
});
