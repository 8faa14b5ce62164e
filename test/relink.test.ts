import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import type { Role } from '../src/ops/index.ts';
import { DATABASES } from './support/databases.ts';
import { call, httpApp } from './support/http.ts';
import { totp } from './support/people.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

let seq = 0;
const k = () => `rl-${Date.now()}-${seq++}`;

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

describe.each(DATABASES)('forced re-link on %s', (kind) => {
  let w: World;
  let app: FastifyInstance;
  const ops: Record<string, { id: string; role: Role; token: string }> = {};
  beforeAll(async () => {
    w = await createWorld(kind);
    app = await httpApp(w);
    for (const [name, role] of [
      ['asker', 'fraud_analyst'],
      ['approver', 'compliance'],
      ['support', 'support'],
    ] as const) {
      const op = await w.ops.createOperator(`${name}-${kind}@ops.test`, role, 'test');
      const { token } = await w.ops.login(op.email, op.password, {}, totp(op.totp.secret, w.clock.now()));
      ops[name] = { id: op.id, role, token };
    }
  });
  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    await app.close();
    await w.close();
  });

  const ask = (body: object, as = 'asker') => call(app, 'POST', '/v1/admin/relinks', { token: ops[as]!.token, body });
  const linkOf = async (c: Customer, id = c.link.id) =>
    (await call(app, 'GET', `/v1/bank-links/${id}`, { token: c.token })).json;
  const relinkCount = async () =>
    Number(
      (
        await w.db
          .selectFrom('link_relinks')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('bad input changes nothing: unknown bank 404, blank reason 400, wrong role 403', async () => {
    const c = await customer(w);
    const unknown = await ask({ bankCode: '9876', reason: 'x' });
    expect([unknown.status, unknown.json.error?.code]).toEqual([404, 'unknown_bank']);
    const blank = await ask({ bankCode: '0001', reason: '   ' });
    expect([blank.status, blank.json.error?.code]).toEqual([400, 'reason_required']);
    const malformed = await ask({ bankCode: 'abcd', reason: 'x' });
    expect(malformed.status).toBe(400);
    const support = await ask({ bankCode: '0001', reason: 'x' }, 'support');
    expect([support.status, support.json.error?.code]).toEqual([403, 'operator_forbidden']);
    expect(await w.ops.approvals.listApprovals({ action: 'links.force_relink', limit: 10 })).toMatchObject({
      data: [],
    });
    expect(await relinkCount()).toBe(0);
    expect((await linkOf(c)).status).toBe('active');
  });

  it('requested → self-approval refused → approved by another: links at that bank need re-link, others untouched', async () => {
    const [a, b] = [await customer(w, { bankCode: '0001' }), await customer(w, { bankCode: '0001' })];
    const elsewhere = await customer(w, { bankCode: '0040' });
    await fund(w, a.actor.id, 20_000);
    // A second link of `a` at the same bank: one message for both.
    const { accountNumber } = await w.sandbox.bank.openAccount({
      bankCode: '0001',
      branchCode: '001',
      accountType: 'ordinary',
      holderNameKana: 'ﾔﾏﾀﾞ ﾊﾅｺ',
      birthDate: '1985-04-12',
      pin: '4821',
      phone: a.phone,
      balance: amount(1),
    });
    const a2 = await w.banks.links.createActiveLink(a.actor.id, {
      bankCode: '0001',
      branchCode: '001',
      accountType: 'ordinary',
      accountNumber,
    });
    const balanceBefore = (await call(app, 'GET', '/v1/wallet', { token: a.token })).json.balance;

    const asked = await ask({ bankCode: '0001', reason: 'PIN-only linking was used at this bank until 2020' });
    expect(asked.status, asked.body).toBe(202);
    expect(asked.json).toMatchObject({ action: 'links.force_relink', target: '0001', status: 'requested' });
    // Nothing moves on a request.
    expect((await linkOf(a)).status).toBe('active');

    await expect(
      w.ops.approvals.decide({ id: ops.asker!.id, role: 'fraud_analyst' }, asked.json.id, 'approve', 'me'),
    ).rejects.toMatchObject({ code: 'self_approval' });
    expect((await linkOf(a)).status).toBe('active');

    const before = w.clock.now();
    const approved = await w.ops.approvals.decide(
      { id: ops.approver!.id, role: 'compliance' },
      asked.json.id,
      'approve',
      'agreed',
    );
    expect(approved.status).toBe('executed');
    const relinkId = String(approved.result?.relinkId);
    // The background run started on commit; running it again joins or finishes it.
    const done = await w.banks.relinks.runRelink(relinkId, 1);
    expect(done).toMatchObject({ status: 'done', bankCode: '0001', linksMoved: 4, usersNotified: 3 });
    expect(done.requestedBy).toBe(ops.asker!.id);
    expect(done.approvedBy).toBe(ops.approver!.id);

    for (const [c, id] of [
      [a, a.link.id],
      [a, a2.id],
      [b, b.link.id],
    ] as const)
      expect((await linkOf(c, id)).status).toBe('relink_required');
    expect((await linkOf(elsewhere)).status).toBe('active');

    // Never usable for money; the balance stays.
    const charge = await call(app, 'POST', '/v1/charges', {
      token: a.token,
      key: k(),
      body: { bankLinkId: a.link.id, amount: 1_000 },
    });
    expect([charge.status, charge.json.error?.code, charge.json.error?.details?.status]).toEqual([
      409,
      'link_not_active',
      'relink_required',
    ]);
    const wd = await call(app, 'POST', '/v1/withdrawals', {
      token: a.token,
      key: k(),
      body: { bankLinkId: a.link.id, amount: 1_000 },
    });
    expect([wd.json.error?.code, wd.json.error?.details?.status]).toEqual(['link_not_active', 'relink_required']);
    expect((await call(app, 'GET', '/v1/wallet', { token: a.token })).json.balance).toBe(balanceBefore);

    // One message per user, with the reason (the first test's customer at 0001 is the third).
    const told = await w.db
      .selectFrom('sandbox_messages')
      .selectAll()
      .where('created_at', '>=', before)
      .where('body', 'like', '%link your bank account again%')
      .execute();
    expect(told).toHaveLength(3);
    for (const phone of [a.phone, b.phone]) expect(told.filter((m) => m.recipient === phone)).toHaveLength(1);
    expect(told.every((m) => m.body.includes('PIN-only linking was used at this bank until 2020'))).toBe(true);

    // Running it again does nothing more.
    expect(await w.banks.relinks.runRelink(relinkId)).toMatchObject({ linksMoved: 4, usersNotified: 3 });

    // Audited: the request, the approval, the re-link and its completion.
    const actions = (await w.ops.listAudit({ limit: 50 })).data.map((r) => r.action);
    for (const action of ['approval.request', 'approval.execute', 'links.force_relink', 'links.force_relink.completed'])
      expect(actions).toContain(action);

    // The slot of each account is free again: the same account can be linked again (here the test's shortcut).
    const again = await w.banks.links.createActiveLink(a.actor.id, { ...a.bankAccount, accountType: 'ordinary' });
    expect(again.status).toBe('active');
    // It takes the place of the withdrawal account it re-links, without a cooling-off.
    expect((await call(app, 'GET', '/v1/wallet', { token: a.token })).json.withdrawalAccount).toMatchObject({
      bankLinkId: again.id,
    });
    expect((await call(app, 'GET', '/v1/wallet', { token: a.token })).json.withdrawalAccount.coolingOffUntil).toBe(
      undefined,
    );
    const after = await call(app, 'POST', '/v1/withdrawals', {
      token: a.token,
      key: k(),
      body: { bankLinkId: again.id, amount: 1_000 },
    });
    expect([after.status, after.json.status], after.body).toEqual([201, 'succeeded']);
  });

  it('a run that stops resumes where it was: every wallet cut once and told once', async () => {
    const people: Customer[] = [];
    for (let i = 0; i < 5; i++) people.push(await customer(w, { bankCode: '0163' }));
    const asked = await ask({ bankCode: '0163', reason: 'bank breach' });
    expect(asked.status, asked.body).toBe(202);
    // The SMS provider fails on the third wallet's message: the run stops after telling some.
    const notifier = w.sandbox.mailbox.notifier;
    const send = notifier.send.bind(notifier);
    const failing = people[2]!.phone;
    notifier.send = async (m) => {
      if (m.to === failing) throw new Error('SMS provider down');
      return send(m);
    };
    const before = w.clock.now();
    const approved = await w.ops.approvals.decide(
      { id: ops.approver!.id, role: 'compliance' },
      asked.json.id,
      'approve',
      'ok',
    );
    const relinkId = String(approved.result?.relinkId);
    await expect(w.banks.relinks.runRelink(relinkId, 2)).rejects.toThrow('SMS provider down');
    const stopped = await w.banks.relinks.getRelink(relinkId);
    expect(stopped.status).toBe('running');
    expect(stopped.usersNotified).toBeLessThan(5);

    // Another runner waits for the stopped one's lease to lapse, then finishes from where it stopped.
    notifier.send = send;
    expect((await w.banks.relinks.resumeRelinks(2))[0]).toMatchObject({ status: 'running' });
    w.clock.advance(6 * 60 * 1000);
    const done = await w.banks.relinks.resumeRelinks(2);
    expect(done).toEqual([expect.objectContaining({ id: relinkId, status: 'done', linksMoved: 5, usersNotified: 5 })]);
    for (const c of people) expect((await linkOf(c)).status).toBe('relink_required');
    const told = await w.db
      .selectFrom('sandbox_messages')
      .select('recipient')
      .where('created_at', '>=', before)
      .where('body', 'like', '%Reason: bank breach%')
      .execute();
    expect(told.map((m) => m.recipient).sort()).toEqual(people.map((c) => c.phone).sort());
    const view = await call(app, 'GET', `/v1/admin/relinks/${relinkId}`, { token: ops.support!.token });
    expect(view.json).toMatchObject({ status: 'done', linksMoved: 5, usersNotified: 5 });
  });
});
