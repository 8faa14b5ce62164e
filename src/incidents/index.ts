/**
 * incidents: incident response for bank-linking fraud. An incident names one bank (or all) and a time window; it
 * lists every link and charge of the window with risk signals, name-match score, device/IP/phone/wallet clusters
 * and holder reports; finds victims by account, kana-normalised holder name or phone; marks links fraudulent
 * (singly or by cluster), which freezes their wallets and the wallets their money went to (one hop, traced);
 * remediates each victim (balances returned first, the compensation account paying the shortfall, the cost split
 * by the bank's agreement) after a second operator's approval; reports (CSV, PDF, regulator summary); the
 * published compensation policy; each bank's cost-split agreement (`hasCostAgreement`: linking is not switched on
 * without one).
 * Owns incidents, incident_fraud_links, incident_wallets, incident_traces, incident_remediations,
 * incident_remediation_charges and bank_cost_agreements; reads the window's links, charges and money objects.
 * Invariants: a victim is paid at most once per incident (unique index on live payouts) and a charge at most
 * once across incidents; every yen moved is a ledger transfer with ref_id = the payout (codes remediation_return,
 * compensation); the bank is called only after the payout's holds commit, and a crash leaves a payout `held`
 * (sent by the next pass) or `pending` (settled by asking the bank); every operator action is audited in its
 * transaction; bank staff see only their own bank's part.
 * Never: write another area's tables (freezing goes through identity's port), call a bank inside a transaction,
 * import Fastify or HTTP types.
 */
import { createAgreements } from './agreements.ts';
import { loadCompensationPolicy } from './policy.ts';
import { createRemediation } from './remediation.ts';
import { createReports } from './reports.ts';
import { createIncidentCore } from './service.ts';
import { type IncidentDeps, PAYOUT_ACTION } from './types.ts';

export function createIncidents(deps: IncidentDeps) {
  const core = createIncidentCore(deps);
  const agreements = createAgreements(deps);
  const remediation = createRemediation(deps, core, agreements);
  const reports = createReports(deps, core);
  const policy = loadCompensationPolicy(deps.compensationPolicyPath);
  deps.approvals.registerApprovalHandler(PAYOUT_ACTION, remediation.executePayout);
  return {
    ...core,
    hasCostAgreement: agreements.hasCostAgreement,
    recordCostAgreement: agreements.recordAgreement,
    listCostAgreements: agreements.listAgreements,
    remediationPlan: remediation.plan,
    requestPayout: remediation.requestPayout,
    /** The periodic job and restart pass: sends held payouts, settles those whose bank call went unanswered. */
    settlePayouts: remediation.settlePayouts,
    report: reports.report,
    regulatorSummary: reports.regulatorSummary,
    reportCsv: reports.csv,
    reportPdf: reports.pdf,
    compensationPolicy: () => policy,
  };
}
export type Incidents = ReturnType<typeof createIncidents>;

export { COMPENSATION, PAYOUT_ACTION, REMEDIATION_RETURN } from './types.ts';
export type * from './types.ts';
export type { IncidentReport, ReportRow, BankSummary } from './reports.ts';
export { DEFAULT_COMPENSATION_POLICY, type CompensationPolicy } from './policy.ts';
export { clustersOf } from './service.ts';
