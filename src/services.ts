import { createAttemptCounter } from './attempts/index.ts';
import {
  type BankGateway,
  DEFAULT_LINKING_POLICY,
  FORCE_RELINK_APPROVAL,
  type LinkingPolicy,
  createBanks,
} from './banks/index.ts';
import { UNFREEZE_APPROVAL, createCases } from './cases/index.ts';
import type { Database, LinkFailureCode } from './db/index.ts';
import {
  type IdentityProvider,
  type RelyingParty,
  assertSteppedUp,
  createAccountSecurity,
  createEkyc,
  createIdentity,
  createMfa,
  createPasskeys,
  createSecretBox,
} from './identity/index.ts';
import { createIncidents } from './incidents/index.ts';
import { createLedger } from './ledger/index.ts';
import { createMerchants } from './merchants/index.ts';
import { type OutboxOptions, wireOutbox } from './outbox/index.ts';
import { createAudit, createOps } from './ops/index.ts';
import { type Clock, type NewId, systemClock, ulidIds } from './platform/index.ts';
import {
  type Assessment,
  type Counters,
  createRiskEngine,
  createRiskPort,
  memoryCounters,
  riskEvent,
} from './risk/index.ts';
import {
  createSandboxBank,
  createSandboxBankAuth,
  createSandboxIdentity,
  createSandboxMailbox,
} from './sandbox/index.ts';
import { DEFAULT_POLICY, type LimitPolicy, createWallet } from './wallet/index.ts';

export interface ServiceOptions {
  database: Database;
  clock?: Clock;
  newId?: NewId;
  random?: () => number;
  policy?: LimitPolicy;
  /** A real bank connection; absent = the sandbox bank. */
  bank?: BankGateway;
  alert?: (message: string, details: Record<string, unknown>) => void;
  linkingPolicy?: LinkingPolicy;
  /** Server secret: encrypts TOTP seeds and keys the hashes of PIN values counted across accounts. */
  secretKey?: string;
  operatorName?: string;
  /** Who passkeys are registered with (WebAuthn relying party); default localhost:3000. */
  relyingParty?: RelyingParty;
  /** A real eKYC provider; absent = the sandbox registry. */
  identityProvider?: IdentityProvider;
  /** Score money with the risk engine (default true); false = the 2020 service, which had none (tests, simulator). */
  risk?: boolean;
  /** The risk engine's velocity counters (Redis with several processes); absent = in-process counters. */
  counters?: Counters;
  /** The published compensation policy, a YAML or JSON file (SAIFU_COMPENSATION_POLICY); absent = the built-in one. */
  compensationPolicy?: string | undefined;
  /** Channel adapters of the outbox (SMTP email…); absent = the sandbox mailbox and a logging SMS adapter. */
  outbox?: OutboxOptions;
  /**
   * argon2id cost for passwords and sandbox PINs; absent = the library's defaults (production). Only the simulator
   * and tests lower it, so that 10,000 sign-ups do not spend minutes hashing (docs: README, Attack simulator).
   */
  hashCost?: { memoryCost: number; timeCost: number };
}

/** Wires the areas together over one database: the same graph serves HTTP, the CLI, tests and benches. */
export function createServices(o: ServiceOptions) {
  const db = o.database.db;
  const clock = o.clock ?? systemClock;
  const newId = o.newId ?? ulidIds();
  const random = o.random ?? Math.random;
  const ledger = createLedger({ clock, newId, random });
  const mailbox = createSandboxMailbox({ db, clock, newId });
  const sandboxBank = createSandboxBank({
    db,
    clock,
    newId,
    random,
    operatorName: 'Saifu',
    ...(o.hashCost ? { hashCost: o.hashCost } : {}),
  });
  const secretKey = o.secretKey ?? 'saifu-development-secret';
  const operatorName = o.operatorName ?? 'Saifu';
  // Notices are written in the event's transaction and sent by the periodic job; re-sends are audited (bound late).
  const outbox = wireOutbox(o.outbox ?? {}, {
    db,
    clock,
    newId,
    random,
    box: createSecretBox(secretKey),
    mailbox,
    audit: (trx, e) => audit.append(trx, e),
  });
  // Held in a variable so tests and the simulator can switch the whole set of defences at run time.
  let linkingPolicy = o.linkingPolicy ?? DEFAULT_LINKING_POLICY;
  const policy = () => linkingPolicy;
  const bankAuth = createSandboxBankAuth({ db, clock, newId, notifier: mailbox.notifier });
  // Banks come first (money needs links and settings); what banks ask of later areas is bound late, below.
  const late = {
    verifiedIdentity: (_userId: string): Promise<import('./banks/index.ts').VerifiedIdentity | undefined> =>
      Promise.resolve(undefined),
    phoneOf: async (_userId: string): Promise<string | undefined> => undefined,
    openCase: async (
      _kind: string,
      _account: unknown,
      _details: Record<string, unknown>,
      _trx?: import('kysely').Transaction<import('./db/index.ts').DB>,
    ): Promise<string> => '',
  };
  const banks = createBanks({
    db,
    clock,
    newId,
    authenticator: bankAuth,
    notifier: mailbox.notifier,
    notices: outbox,
    pepper: secretKey,
    policy,
    operatorName,
    verifiedIdentity: (userId) => late.verifiedIdentity(userId),
    assertSteppedUp: (user) => assertSteppedUp(user, clock.now()),
    phoneOf: (userId) => late.phoneOf(userId),
    emailOf: async (userId) => (await identity.getUser(userId).catch(() => undefined))?.email,
    audit: (trx, e) => audit.append(trx, e),
    onRelinkError: (relinkId, err) =>
      o.alert?.('forced re-link run failed; it resumes', { relinkId, err: String(err) }),
    openCase: (kind, account, details, trx) => late.openCase(kind, account, details, trx),
    // Bound late (the risk port is made below); with `risk: false` linking scores nothing.
    ...(o.risk === false ? {} : { risk: { assess: (e, s) => riskPort.assess(riskEvent(e), s), record: recordRisk } }),
  });
  // Documents are kept as HMACs under the server secret; operators' allowances and rule-set changes go to the
  // audit chain.
  const audit = createAudit({ clock, newId });
  // One risk engine for every flow: the published rule set (or the default pack, version 0) decides, over
  // in-process velocity counters. The wallet sees only `assess` (its RiskPort) and a way to open review cases.
  const risk = createRiskEngine({
    db,
    clock,
    counters: o.counters ?? memoryCounters(),
    audit: (trx, e) => audit.append(trx, e),
    newId,
  });
  const riskPort = createRiskPort({ db, clock, newId, engine: risk });
  // Identity and banks see the port through small local types; what they hand back is the assessment they got.
  function recordRisk(trx: import('kysely').Transaction<import('./db/index.ts').DB>, a: unknown, objectId?: string) {
    return riskPort.record(trx, a as Assessment, objectId);
  }
  const identityRisk =
    o.risk === false
      ? {}
      : {
          risk: {
            assess: (e: Parameters<typeof riskEvent>[0], s: object) => riskPort.assess(riskEvent(e), s),
            record: recordRisk,
          },
        };
  const wallet = createWallet({
    db,
    ledger,
    bank: o.bank ?? sandboxBank.gateway,
    links: banks.links,
    bankSettings: banks.settings,
    clock,
    newId,
    policy: o.policy ?? DEFAULT_POLICY,
    ...(o.alert ? { alert: o.alert } : {}),
    ...(o.risk === false ? {} : { risk: riskPort }),
    openReviewCase: (trx, details) => late.openCase('risk_review', undefined, details, trx),
    notices: outbox,
  });
  // Identity caches sessions for a second; what changes a session's user tells it to forget them (bound below).
  let forgetUser = (_userId: string): void => {};
  const passkeys = createPasskeys({
    db,
    clock,
    rp: o.relyingParty ?? { id: 'localhost', name: 'Saifu', origin: 'http://localhost:3000' },
  });
  const mfa = createMfa({
    db,
    clock,
    box: createSecretBox(secretKey),
    notifier: mailbox.notifier,
    passkeys,
    onUserChanged: (id) => forgetUser(id),
  });
  const identity = createIdentity({
    db,
    clock,
    newId,
    notifier: mailbox.notifier,
    notices: outbox,
    mfa,
    openWallet: async (trx, userId) => void (await wallet.accounts.openWallet(trx, userId)),
    ...(o.hashCost ? { hashCost: o.hashCost } : {}),
    ...identityRisk,
  });
  const sandboxIdentity = createSandboxIdentity({ db, clock, newId });
  forgetUser = identity.forgetUser;
  const security = createAccountSecurity({
    db,
    clock,
    notifier: mailbox.notifier,
    mfa,
    passkeys,
    identity,
    ...identityRisk,
  });
  const ekyc = createEkyc({
    db,
    clock,
    newId,
    provider: o.identityProvider ?? sandboxIdentity.provider,
    documentKey: secretKey,
    audit: (trx, e) => audit.append(trx, e),
    onUserChanged: (id) => forgetUser(id),
    ...identityRisk,
  });
  const linkOutcome = (l: { id: string; status: string; failureCode?: LinkFailureCode | null }) => ({
    object: 'bank_link' as const,
    id: l.id,
    status: l.status,
    ...(l.failureCode ? { failureCode: l.failureCode } : {}),
  });
  const cases = createCases({
    db,
    clock,
    newId,
    freezeAccountLinks: (trx, account, onlyLinkId) => banks.links.freezeAccountLinks(trx, account, onlyLinkId),
    linkOfCharge: (trx, chargeId) => wallet.linkOfCharge(trx, chargeId),
    holdChargesForReview: (trx, linkIds, at) => wallet.holdChargesForReview(trx, linkIds, at),
    freezeUsers: (trx, userIds, at) => identity.freezeUsers(trx, userIds, at),
    unfreezeUsers: (trx, userIds) => identity.unfreezeUsers(trx, userIds),
    approveReview: (kind, id, alongside) => wallet.approveReview(kind, id, alongside),
    rejectReview: (kind, id, alongside) => wallet.rejectReview(kind, id, alongside),
    approveLinkReview: async (linkId, operatorId, alongside) =>
      linkOutcome(await banks.linking.approveLinkReview(linkId, operatorId, alongside)),
    rejectLinkReview: async (linkId, operatorId, alongside) =>
      linkOutcome(await banks.linking.rejectLinkReview(linkId, operatorId, alongside)),
    addToList: (actor, e, trx) => risk.addToList(actor, e, trx),
    audit: (trx, e) => audit.append(trx, e),
    onUsersFrozen: (userIds) => {
      for (const userId of userIds) forgetUser(userId);
    },
    onUsersUnfrozen: (userIds) => {
      for (const userId of userIds) forgetUser(userId);
    },
    // Four-eyes (ops, made below): unfreezing a wallet frozen by an unauthorized report waits for a second operator.
    requestApproval: (trx, req) => ops.approvals.requestApproval(trx, req),
  });
  late.verifiedIdentity = (userId) => ekyc.verifiedIdentityOf(userId);
  late.phoneOf = async (userId) => (await identity.getUser(userId).catch(() => undefined))?.phone;
  late.openCase = (kind, account, details, trx) =>
    cases.openCase(
      kind as 'reverse_brute_force' | 'risk_review',
      account as { bankCode: string; branchCode: string; accountNumber: string } | undefined,
      details,
      trx,
    );
  const setLinkingPolicy = (p: LinkingPolicy) => {
    linkingPolicy = p;
  };
  const ops = createOps({ db, clock, newId, banks: banks.settings, box: createSecretBox(secretKey) });
  ops.approvals.registerApprovalHandler(UNFREEZE_APPROVAL, (trx, payload, ctx) =>
    cases.unfreezeApproved(
      trx,
      ctx.approver.id,
      {
        caseId: String(payload.caseId),
        approvalId: ctx.approval.id,
        requestedBy: ctx.approval.requestedBy,
        note: ctx.approval.reason,
      },
      ctx.afterCommit,
    ),
  );
  // Forced re-link (four-eyes): the approval records it with its audit; the batches run once the decision commits.
  ops.approvals.registerApprovalHandler(FORCE_RELINK_APPROVAL, async (trx, payload, ctx) => {
    const relink = await banks.relinks.startRelink(trx, {
      approvalId: ctx.approval.id,
      target: String(payload.bankCode),
      reason: String(payload.reason),
      requestedBy: ctx.approval.requestedBy,
      approvedBy: ctx.approver.id,
    });
    await audit.append(trx, {
      actor: ctx.approver.id,
      action: FORCE_RELINK_APPROVAL,
      target: relink.id,
      details: { bankCode: relink.bankCode ?? 'all', reason: relink.reason, requestedBy: relink.requestedBy },
    });
    ctx.afterCommit(() => banks.relinks.runInBackground(relink.id));
    return { relinkId: relink.id };
  });
  // Merchants: onboarding checks the payout account's holder name with the bank (the sandbox's, or a real one).
  const merchants = createMerchants({
    db,
    clock,
    newId,
    ledger,
    payments: wallet.payments,
    payoutHolder: async (account) => (await bankAuth.holder(account))?.nameKana,
    audit: (trx, e) => audit.append(trx, e),
    // Signed webhooks through the outbox: the endpoint registered at onboarding, events in the event's transaction.
    webhooks: {
      register: async (trx, e) => void (await outbox.webhooks.registerEndpoint(e, trx)),
      emit: async (trx, e) => void (await outbox.emitWebhook(trx, e)),
    },
  });
  // The periodic job sweeps finished attempt windows; each area counts through its own counter on the same table.
  const attempts = createAttemptCounter({ db, clock });
  // Incidents: payouts wait for a second operator (ops' approvals); linking at a bank needs its cost agreement.
  const incidents = createIncidents({
    db,
    clock,
    newId,
    ledger,
    bank: o.bank ?? sandboxBank.gateway,
    holderOf: (account) => bankAuth.holder(account),
    approvals: ops.approvals,
    audit: (trx, e) => audit.append(trx, e),
    freezeUsers: (trx, userIds, at) => identity.freezeUsers(trx, userIds, at),
    onUsersFrozen: (userIds) => {
      for (const userId of userIds) forgetUser(userId);
    },
    bankConfigured: async (code) => (await banks.settings.settingsOf(code)) !== undefined,
    switchHistory: async (code) => (await banks.settings.switchHistory(code, 1000)).data,
    compensationPolicyPath: o.compensationPolicy,
    ...(o.alert ? { alert: o.alert } : {}),
  });
  banks.settings.requireForLinking((trx, code) => incidents.hasCostAgreement(code, trx));
  return {
    database: o.database,
    db,
    clock,
    newId,
    attempts,
    incidents,
    outbox,
    ledger,
    wallet,
    merchants,
    risk,
    riskPort,
    identity,
    mfa,
    passkeys,
    security,
    ekyc,
    ops,
    banks,
    cases,
    linking: banks.linking,
    setLinkingPolicy,
    linkingPolicy: policy,
    sandbox: { bank: sandboxBank, bankAuth, mailbox, identity: sandboxIdentity },
  };
}
export type Services = ReturnType<typeof createServices>;
