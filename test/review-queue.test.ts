import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { type Actor, DEFAULT_POLICY } from '../src/wallet/index.ts';
import { DATABASES, HAS_POSTGRES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { operatorOtp } from './support/operators.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

/**
 * The review queue: a risk review's case lists and shows its evidence (the stored event, signals, fired rules and
 * related events), analysts act on it (approve posts the hold, reject voids it, freeze, unfreeze, block, label),
 * each action audited; a fraud label (an analyst's, or a holder's "this wasn't me") spreads one hop to the watch
 * list, and the default pack's near_fraud rule holds the next wallet sharing a device or payee. The world has no
 * cooling-off, so a charge near the limit on a fresh link is the default pack's link_then_drain review.
 */
describe.each(DATABASES)('the review queue on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  let analyst: string;
  let admin: string;
  let merchant: { id: string };
  const from = (c: Customer, deviceId: string, ip = ''): Actor => ({ ...c.actor, source: { deviceId, ip } });
  const bankBalance = async (c: Customer) =>
    (
      await call(
        app,
        'GET',
        `/sandbox/bank-accounts/${c.bankAccount.bankCode}/${c.bankAccount.branchCode}/${c.bankAccount.accountNumber}`,
      )
    ).json.balance as number;
  const act = (caseId: string, body: Record<string, unknown>) =>
    call(app, 'POST', `/v1/admin/cases/${caseId}/actions`, { token: analyst, body });
  const caseOf = async (objectId: string) => {
    const cases = await w.cases.listCases({ kind: 'risk_review', limit: 100 });
    const found = cases.data.find((c) => c.details.objectId === objectId);
    if (!found) throw new Error(`no case for ${objectId}`);
    return found;
  };
  /** A charge the default pack holds for review (link_then_drain), made from a device and IP. */
  const heldCharge = async (deviceId: string, ip: string) => {
    const c = await customer(w, { coolingOff: true });
    const ch = await w.wallet.charges.createCharge(from(c, deviceId, ip), {
      bankLinkId: c.link.id,
      amount: amount(100_000),
    });
    expect(ch).toMatchObject({ status: 'in_review', risk: { reasons: [{ rule: 'link_then_drain' }] } });
    return { c, ch, kase: await caseOf(ch.id) };
  };

  beforeAll(async () => {
    w = await createWorld(kind, { policy: { ...DEFAULT_POLICY, coolingOffDays: 0 } });
    app = await httpApp(w);
    const login = async (role: 'fraud_analyst' | 'admin') => {
      const op = await w.ops.createOperator(`${role}-rq@saifu.test`, role);
      return (await w.ops.login(op.email, op.password, {}, operatorOtp(w, op))).token;
    };
    analyst = await login('fraud_analyst');
    admin = await login('admin');
    merchant = await w.wallet.payments.createMerchant('Review Shop');
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  it('a held charge is listed with filters; its view shows the event, signals, rules and related events; approve sends it to the bank once', async () => {
    // Another wallet on the same device and network, earlier: a related event (unverified, so the device does not
    // carry a second verified identity: identities_per_device would hold the charge too).
    const neighbour = await customer(w, { verified: false });
    const earlier = await w.wallet.charges.createCharge(from(neighbour, 'dev_rq_shared', '198.51.100.10'), {
      bankLinkId: neighbour.link.id,
      amount: amount(5_000),
    });
    expect(earlier.status).toBe('succeeded');
    const { c, ch, kase } = await heldCharge('dev_rq_shared', '198.51.100.10');
    expect(await bankBalance(c)).toBe(2_000_000);

    const list = async (q: string) =>
      (await call(app, 'GET', `/v1/admin/cases?${q}`, { token: analyst })).json.data.map((x: { id: string }) => x.id);
    expect(await list(`kind=risk_review&status=open&decision=review&userId=${c.actor.id}`)).toEqual([kase.id]);
    expect(await list(`userId=${neighbour.actor.id}`)).toEqual([]);
    expect(await list(`kind=unauthorized_report&userId=${c.actor.id}`)).toEqual([]);
    expect(await list('kind=risk_review&decision=deny')).toEqual([]);
    const page1 = await call(app, 'GET', '/v1/admin/cases?kind=risk_review&limit=1', { token: analyst });
    expect(page1.json.data.map((x: { id: string }) => x.id)).toEqual([kase.id]);

    const view = await call(app, 'GET', `/v1/admin/cases/${kase.id}`, { token: analyst });
    expect(view.status, view.body).toBe(200);
    expect(view.json.review.events).toHaveLength(1);
    expect(view.json.review.events[0]).toMatchObject({
      type: 'charge',
      userId: c.actor.id,
      objectId: ch.id,
      amount: 100_000,
      decision: 'review',
      score: 60,
      reasons: [{ rule: 'link_then_drain' }],
      ruleSetVersion: 0,
      shadow: null,
      label: null,
      event: { deviceId: 'dev_rq_shared', ip: '198.51.100.10', linkId: c.link.id },
      signals: { limitRatio: 1, watchlisted: false },
    });
    expect(view.json.review.events[0].event.bankAccount).toMatch(/\*\*\*\d{4}$/);
    expect(view.body).not.toContain(c.bankAccount.accountNumber);
    const relatedIds = (by: string) => view.json.review.related[by].map((e: { objectId: string }) => e.objectId);
    expect(relatedIds('device')).toContain(earlier.id);
    expect(relatedIds('ip')).toContain(earlier.id);
    expect(relatedIds('device')).not.toContain(ch.id);
    expect(view.json.review.related.recipient).toEqual([]);

    const approved = await act(kase.id, { action: 'approve', note: 'the holder confirmed on the phone' });
    expect(approved.status, approved.body).toBe(200);
    expect(approved.json).toMatchObject({
      action: 'approve',
      object: { object: 'charge', id: ch.id, status: 'succeeded' },
      case: { id: kase.id, status: 'resolved' },
    });
    expect(await bankBalance(c)).toBe(1_900_000);
    expect((await w.wallet.history.summary(c.actor)).balance).toBe(100_000);
    for (const action of ['approve', 'reject']) {
      const again = await act(kase.id, { action, note: 'again' });
      expect([again.status, again.json.error?.code]).toEqual([409, 'invalid_state']);
    }
    expect(await bankBalance(c)).toBe(2_000_000 - 100_000);
    const events = (await call(app, 'GET', `/v1/admin/cases/${kase.id}`, { token: analyst })).json.events;
    expect(events.map((e: { from: string; to: string; note: string }) => [e.from, e.to, e.note])).toEqual([
      ['open', 'resolved', 'approve: the holder confirmed on the phone'],
    ]);
  });

  it('reject voids a held transfer (the payer keeps the money); approve sends a held withdrawal to the bank', async () => {
    const payer = await customer(w);
    const payee = await customer(w);
    await w.wallet.charges.createCharge(payer.actor, { bankLinkId: payer.link.id, amount: amount(50_000) });
    // Moving most of a fresh charge on at once is the default pack's cash_out review.
    const t = await w.wallet.transfers.createTransfer(payer.actor, {
      to: { userId: payee.actor.id },
      amount: amount(45_000),
    });
    expect(t).toMatchObject({ status: 'in_review', risk: { reasons: [{ rule: 'cash_out' }] } });
    const rejected = await act((await caseOf(t.id)).id, { action: 'reject', note: 'mule pattern' });
    expect(rejected.status, rejected.body).toBe(200);
    expect(rejected.json).toMatchObject({
      object: { object: 'transfer', status: 'failed', failureCode: 'risk_rejected' },
      case: { status: 'resolved' },
    });
    expect(await w.wallet.history.summary(payer.actor)).toMatchObject({
      balance: 50_000,
      pending: { outgoing: 0 },
    });
    expect((await w.wallet.history.summary(payee.actor)).balance).toBe(0);
    const got = await call(app, 'GET', `/v1/transfers/${t.id}`, { token: payer.token });
    expect(got.json).toMatchObject({ status: 'failed', failureCode: 'risk_rejected' });

    const wd = await w.wallet.withdrawals.createWithdrawal(payer.actor, {
      bankLinkId: payer.link.id,
      amount: amount(45_000),
    });
    expect(wd.status).toBe('in_review');
    const bankBefore = await bankBalance(payer);
    const approved = await act((await caseOf(wd.id)).id, { action: 'approve', note: 'own account' });
    expect(approved.json).toMatchObject({ object: { object: 'withdrawal', status: 'succeeded' } });
    expect(await bankBalance(payer)).toBe(bankBefore + 45_000);
    expect((await w.wallet.history.summary(payer.actor)).balance).toBe(5_000);
  });

  it('freeze and unfreeze the wallet (its session sees it at once); block its user: the next payment is risk_denied', async () => {
    const { c, kase } = await heldCharge('dev_rq_freeze', '');
    const rejected = await act(kase.id, { action: 'reject', note: 'not sure, ask again' });
    expect(rejected.json.object).toMatchObject({ status: 'failed', failureCode: 'risk_rejected' });
    // The customer's money for the payments below (an old link, no review).
    const other = await customer(w);
    await w.wallet.charges.createCharge(other.actor, { bankLinkId: other.link.id, amount: amount(20_000) });
    const t = await w.wallet.transfers.createTransfer(other.actor, {
      to: { userId: c.actor.id },
      amount: amount(3_000),
    });
    expect(t.status).toBe('succeeded');
    const pay = () =>
      call(app, 'POST', '/v1/payments', {
        token: c.token,
        key: `rq-pay-${Math.random()}`,
        body: { merchantId: merchant.id, amount: 500 },
      });
    expect((await pay()).status).toBe(201);

    const frozen = await act(kase.id, { action: 'freeze_wallet', note: 'hold everything' });
    expect(frozen.json).toMatchObject({ frozenWallets: [c.actor.id], case: { status: 'resolved' } });
    const refused = await pay();
    expect([refused.status, refused.json.error?.code]).toEqual([403, 'wallet_frozen']);
    const unfrozen = await act(kase.id, { action: 'unfreeze_wallet', note: 'spoke to them' });
    expect(unfrozen.json.unfrozenWallets).toEqual([c.actor.id]);
    expect((await pay()).status).toBe(201);

    const blocked = await act(kase.id, { action: 'block', note: 'known fraudster', block: { kind: 'user' } });
    expect(blocked.status, blocked.body).toBe(200);
    expect(blocked.json.listEntries[0]).toMatchObject({ list: 'block', kind: 'user', value: c.actor.id });
    const denied = await pay();
    expect([denied.status, denied.json.error?.code]).toEqual([422, 'risk_denied']);
    const missing = await act(kase.id, { action: 'block', note: 'x' });
    expect([missing.status, missing.json.error?.code]).toEqual([400, 'invalid_request']);
  });

  it('label fraud labels the stored events and spreads to the watch list; the next wallet on that device is held (near_fraud)', async () => {
    const { c, ch, kase } = await heldCharge('dev_rq_fraud', '203.0.113.9');
    const labelled = await act(kase.id, { action: 'label', label: 'fraud', note: 'the holder called their bank' });
    expect(labelled.status, labelled.body).toBe(200);
    expect(labelled.json.labelled).toBeGreaterThanOrEqual(1);
    const watched = labelled.json.listEntries.map((e: { kind: string; value: string }) => `${e.kind}:${e.value}`);
    expect(watched).toEqual(
      expect.arrayContaining([
        `user:${c.actor.id}`,
        'device:dev_rq_fraud',
        'ip:203.0.113.9',
        `bank_account:${c.bankAccount.bankCode}-${c.bankAccount.branchCode}-${c.bankAccount.accountNumber}`,
      ]),
    );
    for (const e of labelled.json.listEntries) {
      expect(e).toMatchObject({ list: 'watch', reason: `one hop from fraud (case ${kase.id})` });
      expect(new Date(e.expiresAt).getTime() - w.clock.now().getTime()).toBe(90 * 86_400_000);
    }
    const labels = await w.db.selectFrom('risk_events').select('label').where('object_id', '=', ch.id).execute();
    expect(labels.map((l) => l.label)).toEqual(['fraud']);
    // The case is still open: labelling is evidence, not a decision.
    expect(labelled.json.case.status).toBe('open');

    const next = await customer(w, { verified: false });
    const held = await w.wallet.charges.createCharge(from(next, 'dev_rq_fraud'), {
      bankLinkId: next.link.id,
      amount: amount(5_000),
    });
    expect(held).toMatchObject({
      status: 'in_review',
      risk: { decision: 'review', score: 50, reasons: [{ rule: 'near_fraud' }] },
    });
    const nextView = await call(app, 'GET', `/v1/admin/cases/${(await caseOf(held.id)).id}`, { token: analyst });
    expect(nextView.json.review.events[0].signals.watchlisted).toBe(true);
    expect(nextView.json.review.related.device.map((e: { objectId: string }) => e.objectId)).toContain(ch.id);
    // Elsewhere, the same customer is not held.
    const elsewhere = await customer(w);
    expect(
      (
        await w.wallet.charges.createCharge(from(elsewhere, 'dev_rq_elsewhere'), {
          bankLinkId: elsewhere.link.id,
          amount: amount(5_000),
        })
      ).status,
    ).toBe('succeeded');
    const notFraud = await act((await caseOf(held.id)).id, { action: 'label', label: 'not_fraud', note: 'neighbour' });
    expect(notFraud.json).toMatchObject({ labelled: 1, listEntries: [] });
  });

  it('"this wasn\'t me" labels the wallet fraud and spreads the same way: device and payee', async () => {
    const fraudster = await customer(w);
    const payee = await customer(w);
    const src = from(fraudster, 'dev_rq_report', '203.0.113.20');
    await w.wallet.charges.createCharge(src, { bankLinkId: fraudster.link.id, amount: amount(5_000) });
    await w.wallet.transfers.createTransfer(src, { to: { userId: payee.actor.id }, amount: amount(1_000) });
    // Over HTTP too: the harness's loopback address names no network, so it is not watched (it would hold everyone).
    const viaHttp = await call(app, 'POST', '/v1/charges', {
      token: fraudster.token,
      key: 'rq-report-http',
      body: { bankLinkId: fraudster.link.id, amount: 2_000 },
    });
    expect(viaHttp.json.status).toBe('succeeded');
    const a = fraudster.bankAccount;
    const report = await call(
      app,
      'POST',
      `/sandbox/bank-accounts/${a.bankCode}/${a.branchCode}/${a.accountNumber}/report-unauthorized`,
    );
    expect(report.status, report.body).toBe(200);
    expect(report.json.frozenWallets).toEqual([fraudster.actor.id]);
    const watch = await w.risk.listEntries({ list: 'watch', limit: 100 });
    const has = (k: string, v: string) => watch.some((e) => e.kind === k && e.value === v);
    expect(has('user', fraudster.actor.id)).toBe(true);
    expect(has('device', 'dev_rq_report')).toBe(true);
    expect(has('ip', '203.0.113.20')).toBe(true);
    expect(has('recipient', payee.actor.id)).toBe(true);
    expect(has('bank_account', `${a.bankCode}-${a.branchCode}-${a.accountNumber}`)).toBe(true);
    expect(watch.some((e) => e.kind === 'ip' && e.value.startsWith('127.'))).toBe(false);
    const labels = await w.db
      .selectFrom('risk_events')
      .select(['label', 'labelled_by'])
      .where('user_id', '=', fraudster.actor.id)
      .execute();
    expect(labels.length).toBeGreaterThanOrEqual(2);
    expect(labels.every((l) => l.label === 'fraud' && l.labelled_by === 'holder_report')).toBe(true);
    const cases = await call(app, 'GET', `/v1/admin/cases?kind=unauthorized_report&userId=${fraudster.actor.id}`, {
      token: analyst,
    });
    expect(cases.json.data.map((c: { id: string }) => c.id)).toEqual([report.json.caseId]);

    // Another wallet on the fraudster's device is held; another wallet paying the fraudster's payee is held.
    const sameDevice = await customer(w, { verified: false });
    const byDevice = await w.wallet.charges.createCharge(from(sameDevice, 'dev_rq_report'), {
      bankLinkId: sameDevice.link.id,
      amount: amount(5_000),
    });
    expect(byDevice.risk.reasons.map((r) => r.rule)).toEqual(['near_fraud']);
    const samePayee = await customer(w);
    await w.wallet.charges.createCharge(samePayee.actor, { bankLinkId: samePayee.link.id, amount: amount(5_000) });
    const byPayee = await w.wallet.transfers.createTransfer(samePayee.actor, {
      to: { userId: payee.actor.id },
      amount: amount(1_000),
    });
    expect(byPayee).toMatchObject({ status: 'in_review', risk: { reasons: [{ rule: 'near_fraud' }] } });
  });

  it('every analyst action is in the audit log', async () => {
    const actions = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const r = await call(app, 'GET', `/v1/admin/audit?limit=100${after ? `&starting_after=${after}` : ''}`, {
        token: admin,
      });
      for (const a of r.json.data) actions.add(a.action);
      if (!r.json.has_more) break;
      after = r.json.data.at(-1).id;
    }
    for (const a of [
      'case.view',
      'case.approve',
      'case.reject',
      'case.freeze_wallet',
      'case.unfreeze_wallet',
      'case.block',
      'case.label',
      'risk.list.add',
    ])
      expect(actions, a).toContain(a);
    expect((await call(app, 'GET', '/v1/admin/audit/verify', { token: admin })).json.ok).toBe(true);
  });
});

/** PostgreSQL runs the decisions really in parallel (PGlite runs one transaction at a time). */
describe.skipIf(!HAS_POSTGRES)('parallel decisions on one case (PostgreSQL)', () => {
  let w: World;
  let app: FastifyInstance;
  let analyst: string;
  beforeAll(async () => {
    w = await createWorld('postgres', { policy: { ...DEFAULT_POLICY, coolingOffDays: 0 }, poolSize: 30 });
    app = await httpApp(w);
    const op = await w.ops.createOperator('parallel-rq@saifu.test', 'fraud_analyst');
    analyst = (await w.ops.login(op.email, op.password, {}, operatorOtp(w, op))).token;
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  const race = async (caseId: string) => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(app, 'POST', `/v1/admin/cases/${caseId}/actions`, {
          token: analyst,
          body: { action: i % 2 === 0 ? 'approve' : 'reject', note: `analyst ${i}` },
        }),
      ),
    );
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect(a.json.error.code).toBe('invalid_state');
    const events = await w.db.selectFrom('case_events').select('to_status').where('case_id', '=', caseId).execute();
    expect(events.map((e) => e.to_status)).toEqual(['resolved']);
    return won[0]!.json.action as 'approve' | 'reject';
  };
  const resolutions = async (refId: string) =>
    (
      await w.db
        .selectFrom('ledger_transfers')
        .select('phase')
        .where('ref_id', '=', refId)
        .where('phase', 'in', ['post', 'void'])
        .execute()
    ).map((r) => r.phase);

  for (let round = 0; round < 3; round++)
    it(`20 concurrent approve/reject on a held charge: exactly one wins, the money moves once (round ${round})`, async () => {
      const c = await customer(w, { coolingOff: true });
      const ch = await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(100_000) });
      expect(ch.status).toBe('in_review');
      const kase = (await w.cases.listCases({ kind: 'risk_review', userId: c.actor.id, limit: 10 })).data[0]!;
      const winner = await race(kase.id);
      const bank = await call(
        app,
        'GET',
        `/sandbox/bank-accounts/${c.bankAccount.bankCode}/${c.bankAccount.branchCode}/${c.bankAccount.accountNumber}`,
      );
      const summary = await w.wallet.history.summary(c.actor);
      if (winner === 'approve') {
        expect(bank.json.balance).toBe(1_900_000);
        expect(summary).toMatchObject({ balance: 100_000, pending: { incoming: 0 } });
        expect(await resolutions(ch.id)).toEqual(['post']);
      } else {
        expect(bank.json.balance).toBe(2_000_000);
        expect(summary).toMatchObject({ balance: 0, pending: { incoming: 0 } });
        expect(await resolutions(ch.id)).toEqual(['void']);
      }
    });

  it('20 concurrent approve/reject on a held transfer: exactly one wins, posted or voided once', async () => {
    const payer = await customer(w);
    const payee = await customer(w);
    await w.wallet.charges.createCharge(payer.actor, { bankLinkId: payer.link.id, amount: amount(50_000) });
    const t = await w.wallet.transfers.createTransfer(payer.actor, {
      to: { userId: payee.actor.id },
      amount: amount(45_000),
    });
    expect(t.status).toBe('in_review');
    const kase = (await w.cases.listCases({ kind: 'risk_review', userId: payer.actor.id, limit: 10 })).data[0]!;
    const winner = await race(kase.id);
    expect((await w.wallet.history.summary(payee.actor)).balance).toBe(winner === 'approve' ? 45_000 : 0);
    expect((await w.wallet.history.summary(payer.actor)).balance).toBe(winner === 'approve' ? 5_000 : 50_000);
    expect(await resolutions(t.id)).toEqual([winner === 'approve' ? 'post' : 'void']);
  });
});
