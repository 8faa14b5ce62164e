import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINKING_POLICY_2020 } from '../src/banks/policy.ts';
import { COMPENSATION, REMEDIATION_RETURN } from '../src/incidents/index.ts';
import { verifyLedger } from '../src/ledger/index.ts';
import { amount } from '../src/money/index.ts';
import { verifyAudit } from '../src/ops/index.ts';
import { WALLET_POLICY_2020 } from '../src/wallet/index.ts';
import { DATABASES } from './support/databases.ts';
import { ledgerSnapshot } from './support/http.ts';
import { type Customer, type World, createWorld, customer } from './support/world.ts';

type Viewer = { id: string; role: 'fraud_analyst' | 'compliance' | 'admin' | 'bank' | 'support'; bankCode?: string };
const VICTIM_START = 1_000_000;

/**
 * A scripted incident on seeded data: 200 honest users, 30 fraudulent links at two banks (victims' accounts linked by
 * ten throw-away wallets from two devices, each drained by two charges), money moved on to two mule wallets and to a
 * merchant. The workflow finds the 30 by their device clusters, freezes the wallets and the mules, returns and
 * compensates every victim exactly their loss, and the ledger, the reports and the audit chain agree.
 */
describe.each(DATABASES)('incidents on %s', (kind) => {
  let w: World;
  let banks: [string, string, string];
  let analyst: Viewer;
  let second: Viewer;
  let compliance: Viewer;
  let bankStaff: Viewer;
  let incidentId: string;
  const fraudLinks: string[] = [];
  const victims: Array<{ bankCode: string; branchCode: string; accountNumber: string }> = [];
  const fraudsters: Customer[] = [];
  const mules: Customer[] = [];
  const started = { at: new Date(0) };

  beforeAll(async () => {
    w = await createWorld(kind, {
      policy: WALLET_POLICY_2020,
      linkingPolicy: LINKING_POLICY_2020,
      risk: false,
      hashCost: { memoryCost: 1024, timeCost: 1 },
    });
    const configured = (await w.banks.settings.listSettings()).map((b) => b.code);
    banks = [configured[0]!, configured[1]!, configured[2]!];
    const op = async (role: Viewer['role'], bankCode?: string): Promise<Viewer> => {
      const o = await w.ops.createOperator(
        `${role}${bankCode ?? ''}@ops.test`,
        role,
        'test',
        bankCode ? { bankCode } : {},
      );
      return { id: o.id, role, ...(bankCode ? { bankCode } : {}) };
    };
    analyst = await op('fraud_analyst');
    second = await op('admin');
    compliance = await op('compliance');
    bankStaff = await op('bank', banks[0]);
    started.at = w.clock.now();
    // 200 honest users, half at each bank, each charging once.
    for (let i = 0; i < 200; i++) {
      const c = await customer(w, { bankCode: banks[i % 2], bankBalance: 500_000 });
      await w.db
        .updateTable('bank_links')
        .set({ device_id: `dev_h${i}`, ip: `203.0.113.${i % 250}` })
        .where('id', '=', c.link.id)
        .execute();
      await w.wallet.charges.createCharge(c.actor, { bankLinkId: c.link.id, amount: amount(10_000) });
      w.clock.advance(1_000);
    }
    const merchant = await w.wallet.payments.createMerchant('Resale Shop');
    for (let i = 0; i < 2; i++) mules.push(await customer(w, { bankCode: banks[0] }));
    // Ten throw-away wallets; each links three victims' accounts (15 at each bank) and drains them: ¥40,000 + ¥30,000.
    for (let f = 0; f < 10; f++) {
      const thief = await customer(w, { bankCode: banks[0], bankBalance: 1 });
      fraudsters.push(thief);
      const bankCode = banks[f < 5 ? 0 : 1];
      for (let k = 0; k < 3; k++) {
        const { accountNumber } = await w.sandbox.bank.openAccount({
          bankCode,
          branchCode: '001',
          accountType: 'ordinary',
          holderNameKana: k === 0 && f === 0 ? 'ﾀｶﾊｼ ﾐﾁｺ' : 'ﾔﾏﾓﾄ ｲﾁﾛｳ',
          birthDate: '1950-01-01',
          pin: '1234',
          phone: `080${String(1000000 + f * 10 + k).padStart(8, '0')}`,
          balance: amount(VICTIM_START),
        });
        const account = { bankCode, branchCode: '001', accountType: 'ordinary' as const, accountNumber };
        victims.push(account);
        const link = await w.banks.links.createActiveLink(
          thief.actor.id,
          account,
          new Date(w.clock.now().getTime() - 40 * 86_400_000),
        );
        const device = bankCode === banks[0] ? 'dev_fraud_A' : 'dev_fraud_B';
        await w.db
          .updateTable('bank_links')
          .set({ device_id: device, ip: '198.18.0.7' })
          .where('id', '=', link.id)
          .execute();
        fraudLinks.push(link.id);
        for (const a of [40_000, 30_000]) {
          const c = await w.wallet.charges.createCharge(thief.actor, { bankLinkId: link.id, amount: amount(a) });
          expect(c.status).toBe('succeeded');
          w.clock.advance(20_000);
        }
      }
      // Wallets 0–4 send ¥100,000 on to a mule; 5–9 buy ¥150,000 of goods.
      if (f < 5)
        await w.wallet.transfers.createTransfer(thief.actor, {
          to: { userId: mules[f < 3 ? 0 : 1]!.actor.id },
          amount: amount(100_000),
        });
      else await w.wallet.payments.createPayment(thief.actor, { merchantId: merchant.id, amount: amount(150_000) });
    }
    // A mule spends part of it.
    await w.wallet.payments.createPayment(mules[0]!.actor, { merchantId: merchant.id, amount: amount(120_000) });
    w.clock.advance(60_000);
    // 200 customers seeded one by one: minutes on a loaded 2-core machine.
  }, 240_000);

  afterAll(async () => {
    expect(await verifyLedger(w.db)).toEqual([]);
    expect((await verifyAudit(w.db)).ok).toBe(true);
    await w.close();
  });

  it('bad input gets clear errors and changes nothing', async () => {
    const before = await ledgerSnapshot(w);
    const count = async () =>
      Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM incidents`.execute(w.db)).rows[0]!.n);
    const n = await count();
    const from = started.at;
    const to = w.clock.now();
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    expect(await code(w.incidents.createIncident(analyst.id, { bankCode: '9998', from, to, reason: 'x' }))).toBe(
      'unknown_bank',
    );
    expect(
      await code(w.incidents.createIncident(analyst.id, { bankCode: null, from: to, to: from, reason: 'x' })),
    ).toBe('invalid_request');
    expect(await code(w.incidents.createIncident(analyst.id, { bankCode: null, from, to: from, reason: 'x' }))).toBe(
      'invalid_request',
    );
    expect(await code(w.incidents.createIncident(analyst.id, { bankCode: null, from, to, reason: '  ' }))).toBe(
      'reason_required',
    );
    expect(await code(w.incidents.getIncident(analyst, 'inc_none'))).toBe('not_found');
    expect(await count()).toBe(n);
    expect(await ledgerSnapshot(w)).toBe(before);
  });

  it('linking at a bank cannot be switched on without a cost-split agreement', async () => {
    const bank = banks[2];
    const me = { id: compliance.id, role: compliance.role };
    await w.ops.setBankSwitches(me as never, bank, { linking: false }, 'incident drill');
    const refused = await w.ops.setBankSwitches(me as never, bank, { linking: true }, 'back on').catch((e) => e);
    expect(refused).toMatchObject({
      code: 'invalid_state',
      details: { reason: 'cost_agreement_required', bankCode: bank },
    });
    expect((await w.banks.settings.settingsOf(bank))!.linking).toBe(false);
    expect(await w.incidents.hasCostAgreement(bank)).toBe(false);
    await w.incidents.recordCostAgreement(compliance.id, {
      bankCode: bank,
      operatorSharePct: 60,
      bankSharePct: 40,
      note: 'agreement of 2026-11-01',
    });
    expect(await w.incidents.hasCostAgreement(bank)).toBe(true);
    expect((await w.ops.setBankSwitches(me as never, bank, { linking: true }, 'agreement signed')).linking).toBe(true);
    const bad = await w.incidents
      .recordCostAgreement(compliance.id, { bankCode: bank, operatorSharePct: 60, bankSharePct: 60, note: 'x' })
      .catch((e) => e.code);
    expect(bad).toBe('invalid_request');
  });

  it('the workflow finds all 30, freezes them and the recipients, and pays every victim exactly their loss once', async () => {
    await w.incidents.recordCostAgreement(compliance.id, {
      bankCode: banks[0],
      operatorSharePct: 50,
      bankSharePct: 50,
      note: '50/50',
    });
    await w.incidents.recordCostAgreement(compliance.id, {
      bankCode: banks[1],
      operatorSharePct: 70,
      bankSharePct: 30,
      note: '70/30',
    });
    const incident = await w.incidents.createIncident(analyst.id, {
      bankCode: null,
      from: started.at,
      to: w.clock.now(),
      reason: 'charges reported by holders at two banks',
    });
    incidentId = incident.id;
    const { links, clusters } = await w.incidents.windowLinks(analyst, incidentId);
    expect(links.length).toBe(200 + 2 + 10 + 30);
    const suspicious = clusters.filter((c) => c.kind === 'device').sort((a, b) => b.linkIds.length - a.linkIds.length);
    expect(suspicious.map((c) => c.linkIds.length)).toEqual([15, 15]);
    const charges = await w.incidents.windowCharges(analyst, incidentId);
    expect(charges.length).toBe(200 + 60);
    // Search: by account, by kana name (full-width and hiragana forms normalise to the bank's half-width), by phone.
    const first = victims[0]!;
    const byAccount = await w.incidents.searchVictims(analyst, incidentId, { accountNumber: first.accountNumber });
    expect(byAccount).toHaveLength(1);
    const byName = await w.incidents.searchVictims(analyst, incidentId, { name: 'たかはし みちこ' });
    expect(byName.map((v) => v.accountNumberLast4)).toEqual([first.accountNumber.slice(-4)]);
    const byPhone = await w.incidents.searchVictims(analyst, incidentId, { phone: fraudsters[0]!.phone });
    expect(byPhone.length).toBeGreaterThanOrEqual(3);

    for (const c of suspicious)
      await w.incidents.markFraudulent(analyst, incidentId, { cluster: c.id, note: 'shared device' });
    const marked = (await w.incidents.windowLinks(analyst, incidentId)).links
      .filter((l) => l.fraudulent)
      .map((l) => l.id);
    expect(marked.sort()).toEqual([...fraudLinks].sort());
    const frozen = await w.db.selectFrom('users').select('id').where('frozen_at', 'is not', null).execute();
    expect(frozen.map((u) => u.id).sort()).toEqual([...fraudsters, ...mules].map((c) => c.actor.id).sort());

    const plan = await w.incidents.remediationPlan(analyst, incidentId);
    expect(plan).toHaveLength(30);
    expect(plan.every((p) => p.loss === 70_000 && p.returnable + p.shortfall === p.loss)).toBe(true);
    // Left: wallets 0–4 hold ¥110,000 each, 5–9 ¥60,000; the mules ¥180,000 (of ¥300,000 received) and ¥200,000.
    const returnable = plan.reduce((s, p) => s + p.returnable, 0);
    expect(returnable).toBe(5 * 110_000 + 5 * 60_000 + 180_000 + 200_000);
    expect(plan.find((p) => p.bankCode === banks[1] && p.shortfall > 0)?.split).toMatchObject({
      operatorSharePct: 70,
      bankSharePct: 30,
    });

    // Approval by the requester is refused; a bank that is down leaves payouts held; the next pass sends them.
    const all = await w.incidents.requestPayout(analyst.id, incidentId, { reason: 'pay every victim' });
    const one = await w.incidents.requestPayout(analyst.id, incidentId, {
      victimIds: [plan[0]!.victimId],
      reason: 'first one',
    });
    expect(await w.ops.approvals.decide(analyst, all.id, 'approve', 'mine').catch((e) => e.code)).toBe('self_approval');
    await w.sandbox.bank.setFault(banks[1], 'down', 1);
    const decided = await Promise.all([
      w.ops.approvals.decide(second, all.id, 'approve', 'checked'),
      w.ops.approvals.decide(compliance, one.id, 'approve', 'checked'),
    ]);
    // Both name the first victim: exactly one of the two payouts runs for it.
    expect(decided.map((d) => d.status).sort()).toEqual(['executed', 'failed']);
    await w.incidents.settlePayouts(0);
    const heldAtDown = await w.db
      .selectFrom('incident_remediations')
      .select('id')
      .where('status', '=', 'held')
      .execute();
    expect(heldAtDown.length).toBeGreaterThan(0);
    await w.sandbox.bank.setFault(banks[1], 'down', 0);
    await w.incidents.settlePayouts(0);
    if (decided.find((d) => d.status === 'executed')!.id === one.id) {
      const rest = await w.incidents.requestPayout(analyst.id, incidentId, { reason: 'the rest' });
      await w.ops.approvals.decide(second, rest.id, 'approve', 'checked');
      await w.incidents.settlePayouts(0);
    }
    const rows = await w.db
      .selectFrom('incident_remediations')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .execute();
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.status === 'succeeded' && Number(r.returned) + Number(r.compensated) === 70_000)).toBe(
      true,
    );
    for (const v of victims) {
      const acct = await w.db
        .selectFrom('sandbox_bank_accounts')
        .select('balance')
        .where('bank_code', '=', v.bankCode)
        .where('account_number', '=', v.accountNumber)
        .executeTakeFirstOrThrow();
      expect(Number(acct.balance)).toBe(VICTIM_START);
    }
    // Paying twice is impossible: nobody is left to pay, and a closed incident pays nothing.
    expect(await w.incidents.requestPayout(analyst.id, incidentId, { reason: 'again' }).catch((e) => e.code)).toBe(
      'invalid_state',
    );
    expect(await verifyLedger(w.db)).toEqual([]);
  }, 120_000);

  it('the reports’ totals match the ledger; bank staff see only their bank', async () => {
    const report = await w.incidents.report(analyst, incidentId);
    expect(report.totals).toMatchObject({
      victims: 30,
      fraudulentLinks: 30,
      charges: 60,
      loss: 2_100_000,
      paid: 2_100_000,
    });
    const ledger = await sql<{ code: string; total: number }>`
      SELECT t.code, sum(t.amount)::int8 AS total FROM ledger_transfers t
      JOIN incident_remediations r ON r.id = t.ref_id
      WHERE r.incident_id = ${incidentId} AND t.phase = 'post' GROUP BY t.code`.execute(w.db);
    const byCode = Object.fromEntries(ledger.rows.map((r) => [r.code, Number(r.total)]));
    expect(byCode[REMEDIATION_RETURN]).toBe(report.totals.returned);
    expect(byCode[COMPENSATION]).toBe(report.totals.compensated);
    expect(report.totals.operatorShare + report.totals.bankShare).toBe(report.totals.compensated);
    const csv = w.incidents.reportCsv(report);
    expect(csv.trim().split('\r\n')).toHaveLength(32);
    expect(csv).toContain(',TOTAL,');
    const pdf = await w.incidents.reportPdf(report);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const summary = await w.incidents.regulatorSummary(analyst, incidentId);
    expect(summary.banks.map((b) => [b.bankCode, b.victims, b.loss])).toEqual(
      [
        [banks[0], 15, 1_050_000],
        [banks[1], 15, 1_050_000],
      ].sort(),
    );

    const mine = await w.incidents.windowLinks(bankStaff, incidentId);
    expect(mine.links.every((l) => l.bankCode === bankStaff.bankCode)).toBe(true);
    expect(
      (await w.incidents.windowCharges(bankStaff, incidentId)).every((c) => c.bankCode === bankStaff.bankCode),
    ).toBe(true);
    const theirs = await w.incidents.report(bankStaff, incidentId);
    expect(theirs.rows.every((r) => r.bankCode === bankStaff.bankCode)).toBe(true);
    expect(theirs.totals.victims).toBe(15);
    const other = await w.incidents.createIncident(analyst.id, {
      bankCode: banks[1],
      from: started.at,
      to: w.clock.now(),
      reason: 'bank 2',
    });
    expect(await w.incidents.getIncident(bankStaff, other.id).catch((e) => e.code)).toBe('operator_forbidden');
    expect((await w.incidents.listIncidents(bankStaff, { limit: 100 })).data.map((i) => i.id)).toEqual([incidentId]);
  });

  it('a closed incident pays nothing more', async () => {
    await w.incidents.closeIncident(analyst.id, incidentId, 'all victims paid');
    expect(await w.incidents.requestPayout(analyst.id, incidentId, { reason: 'late' }).catch((e) => e.code)).toBe(
      'invalid_state',
    );
    expect(
      await w.incidents
        .markFraudulent(analyst, incidentId, { linkIds: [fraudLinks[0]!], note: 'x' })
        .catch((e) => e.code),
    ).toBe('invalid_state');
  });
});
