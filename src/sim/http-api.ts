import type {
  Caller,
  MoneyKind,
  SimApi,
  SimLink,
  SimMessage,
  SimMoneyObject,
  SimStatementLine,
  Source,
} from './api.ts';
import { SimApiError, SimTargetError } from './api.ts';

const PLURAL: Record<MoneyKind, string> = {
  charge: 'charges',
  payment: 'payments',
  transfer: 'transfers',
  withdrawal: 'withdrawals',
};

/** What `/sandbox/clock` answers. */
interface ClockState {
  now: string;
  manual: boolean;
}

/**
 * The simulated people as clients of a running Saifu server: the requests its apps send, with `X-Device-Id` and
 * `X-Forwarded-For` carrying each person's device and address (the server must run with `SAIFU_TRUST_PROXY=1`
 * for the defences to see them) and the world's clock moved through `/sandbox/clock` (`SAIFU_SANDBOX_CLOCK=1`).
 * Error bodies become `SimApiError`s with the API's code.
 */
export async function httpApi(target: string): Promise<SimApi> {
  const base = target.replace(/\/+$/, '');
  let keys = 0;
  let broken: string | undefined;
  const request = async <T>(
    method: string,
    path: string,
    o: { body?: unknown; caller?: Caller; source?: Source; idempotent?: boolean } = {},
  ): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const source = o.caller?.source ?? o.source;
    if (source) {
      headers['x-device-id'] = source.deviceId;
      headers['x-forwarded-for'] = source.ip;
    }
    if (o.caller) headers.authorization = `Bearer ${o.caller.token}`;
    // Keys are scoped to the caller and route by the server; one per request, as an app makes one per tap.
    if (o.idempotent) headers['idempotency-key'] = `sim-${++keys}`;
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      broken ??= `${base} stopped answering (${method} ${path}: ${cause ?? (e as Error).message})`;
      throw new SimApiError('unreachable', `${method} ${path}: ${(e as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's error page, say): the status is all there is to go on.
      if (res.ok) throw new SimApiError('invalid_response', `${method} ${path}: ${res.status} without JSON`);
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new SimApiError(
        err?.code ?? `http_${res.status}`,
        err?.message ?? `${method} ${path}: ${res.status}`,
        res.status,
      );
    }
    return json as T;
  };
  const accountPath = (a: { bankCode: string; branchCode: string; accountNumber: string }) =>
    `/sandbox/bank-accounts/${a.bankCode}/${a.branchCode}/${a.accountNumber}`;

  let clock: ClockState;
  try {
    clock = await request<ClockState>('GET', '/sandbox/clock');
  } catch (e) {
    const code = (e as SimApiError).code;
    throw new SimTargetError(
      code === 'unreachable'
        ? `--target ${base}: no server answers there (${(e as Error).message})`
        : `--target ${base}: GET /sandbox/clock answered ${code}: the server needs its sandbox on (SAIFU_SANDBOX=1 outside development)`,
    );
  }
  if (!clock.manual)
    throw new SimTargetError(
      `--target ${base}: the server runs on the wall clock; start it with SAIFU_SANDBOX_CLOCK=1 (and SAIFU_TRUST_PROXY=1) so the simulator can move its time`,
    );
  // Each simulated person has their own address: a server that ignores X-Forwarded-For would see one client for
  // everybody, and its per-address limits would refuse honest people by the hundred.
  const probe = { deviceId: 'sim_probe', ip: '192.0.2.77' };
  const seen = await request<{ ip: string }>('GET', '/sandbox/request-source', { source: probe }).catch((e) => {
    if ((e as SimApiError).status === 404) return undefined; // a server without the route: nothing to check
    throw e;
  });
  if (seen && seen.ip !== probe.ip)
    throw new SimTargetError(
      `--target ${base}: the server takes the client address from the socket (${seen.ip}), not X-Forwarded-For; start it with SAIFU_TRUST_PROXY=1 so each simulated person has their own address`,
    );
  let now = Date.parse(clock.now);
  const setClock = async (at: number) => {
    if (at <= now) return;
    now = Date.parse(
      (await request<ClockState>('POST', '/sandbox/clock', { body: { to: new Date(at).toISOString() } })).now,
    );
  };

  return {
    broken: () => broken,
    now: () => now,
    setClock,
    advance: (ms) => setClock(now + ms),
    signup: async (i, source) => {
      const r = await request<{ user: { id: string }; token: string }>('POST', '/v1/signup', { body: i, source });
      return { userId: r.user.id, token: r.token };
    },
    login: async (email, password, source) => ({
      token: (await request<{ token: string }>('POST', '/v1/sessions', { body: { email, password }, source })).token,
    }),
    confirmPhone: async (c, code) => {
      await request('POST', '/v1/me/phone/confirm', { caller: c, body: { code } });
    },
    sendStepUpSms: async (c) => {
      await request('POST', '/v1/sessions/current/step-up/sms', { caller: c, body: {} });
    },
    stepUp: async (c, smsCode) => {
      await request('POST', '/v1/sessions/current/step-up', { caller: c, body: { smsCode } });
    },
    changePhone: async (c, phone) => {
      await request('POST', '/v1/me/phone', { caller: c, body: { phone } });
    },
    submitIdentity: async (c, s) => {
      const r = await request<{ status: string; reasons: string[] }>('POST', '/v1/identity-verifications', {
        caller: c,
        body: s,
      });
      return { status: r.status, reasons: r.reasons };
    },
    startLink: (c, ref) => request<SimLink>('POST', '/v1/bank-links', { caller: c, body: ref }),
    authorizeLink: (c, id, body) =>
      request<SimLink>('POST', `/v1/bank-links/${encodeURIComponent(id)}/authorize`, { caller: c, body }),
    createMoney: (c, kind, target, amount) => {
      const body =
        kind === 'payment'
          ? { merchantId: target, amount }
          : kind === 'transfer'
            ? { to: { userId: target }, amount }
            : { bankLinkId: target, amount };
      return request<SimMoneyObject>('POST', `/v1/${PLURAL[kind]}`, { caller: c, body, idempotent: true });
    },
    confirmMoney: (c, kind, id, smsCode) =>
      request<{ status: string }>('POST', `/v1/${PLURAL[kind]}/${encodeURIComponent(id)}/confirm`, {
        caller: c,
        body: { smsCode },
        idempotent: true,
      }),
    messagesTo: async (phone) =>
      (await request<{ data: SimMessage[] }>('GET', `/sandbox/messages?to=${encodeURIComponent(phone)}`)).data,
    openBankAccount: (i) =>
      request<{ accountNumber: string }>('POST', '/sandbox/bank-accounts', { body: { ...i, accountType: 'ordinary' } }),
    registerIdentity: (i) => request<{ selfie: string }>('POST', '/sandbox/identities', { body: i }),
    statement: async (a) => (await request<{ statement: SimStatementLine[] }>('GET', accountPath(a))).statement,
    reportUnauthorized: async (a, reference) => {
      await request('POST', `${accountPath(a)}/report-unauthorized`, reference ? { body: { reference } } : {});
    },
    createMerchant: async (name) => ({
      id: (await request<{ id: string }>('POST', '/sandbox/merchants', { body: { name } })).id,
    }),
  };
}
