import { randomBytes, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import {
  type ZodTypeProvider,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../config.ts';
import type { Services } from '../services.ts';
import { authHandlers } from './auth.ts';
import { errorBody, handleError } from './errors.ts';
import { idempotency } from './idempotency.ts';
import { guardInput } from './input-guard.ts';
import { adminRoutes } from './routes/admin.ts';
import { riskAdminRoutes } from './routes/risk-admin.ts';
import { relinkAdminRoutes } from './routes/relink-admin.ts';
import { incidentAdminRoutes } from './routes/incidents-admin.ts';
import { outboxAdminRoutes } from './routes/outbox-admin.ts';
import { bankLinkRoutes } from './routes/bank-links.ts';
import { bankRoutes } from './routes/banks.ts';
import { hasOperatorGuard } from './operator-auth.ts';
import { clockRateLimitStore } from './rate-limit-store.ts';
import { identityRoutes, sandboxIdentityRoutes } from './routes/identity.ts';
import { moneyRoutes } from './routes/money.ts';
import { merchantRoutes } from './routes/merchants.ts';
import { sandboxRoutes } from './routes/sandbox.ts';
import { userRoutes } from './routes/users.ts';

export interface HttpOptions {
  sandbox: boolean;
  trustProxy: boolean;
  logLevel: string;
  version?: string;
  /** Serve /docs and /openapi.json (default true; SAIFU_DOCS, off in production unless enabled). */
  docs?: boolean;
  /** Serve /metrics (default true; in production only with a token). */
  metrics?: boolean;
  /** When set, /metrics needs `Authorization: Bearer <token>` (SAIFU_METRICS_TOKEN). */
  metricsToken?: string;
  /** Request, header and keep-alive timeouts and the connection cap (defaults: DEFAULT_HTTP_LIMITS). */
  limits?: HttpLimits;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set at registration on routes whose preValidation resolves a caller: they refuse a missing credential before the body is read. */
    needsCredential?: boolean;
  }
}

/** Builds the HTTP face of the platform. Nothing here decides about money: routes parse, call a use case, present. */
export async function buildApp(s: Services, o: HttpOptions): Promise<FastifyInstance> {
  const limits = o.limits ?? DEFAULT_HTTP_LIMITS;
  const app = Fastify({
    logger: { level: o.logLevel, redact: ['req.headers.authorization', 'req.headers["idempotency-key"]'] },
    bodyLimit: 64 * 1024,
    ...socketLimits(limits),
    trustProxy: o.trustProxy,
    genReqId: () => `req_${randomBytes(8).toString('hex')}`,
    requestIdHeader: false,
    // Paths the router cannot take (malformed percent-encoding, a segment longer than any id) answer in the API's shape.
    frameworkErrors: (err, _req, reply) => {
      const message =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? 'a path segment is longer than any id (at most 100 characters)'
          : 'the URL has a malformed percent-encoding or is not UTF-8 once decoded';
      void (reply as unknown as FastifyReply).code(400).send(errorBody('invalid_request', message));
    },
    // Requests Node's HTTP parser rejects (raw non-ASCII in the URL, broken headers) get the API's error shape too.
    // A request whose headers or body did not arrive in time (SAIFU_HEADERS_TIMEOUT_MS, SAIFU_REQUEST_TIMEOUT_MS) is 408.
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      if (!socket.writable || socket.destroyed) return;
      const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const body = JSON.stringify(
        timeout
          ? errorBody('invalid_request', 'the request did not arrive in time; the connection is closed')
          : errorBody(
              'invalid_request',
              'the HTTP request is malformed (percent-encode non-ASCII characters in the URL)',
            ),
      );
      socket.end(
        `HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      if (timeout) socket.destroySoon();
    },
    // Per-request log lines only at debug/trace: at 'info' they would cost the hot path a log write each.
    logController: new LogController({ disableRequestLogging: o.logLevel !== 'debug' && o.logLevel !== 'trace' }),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(
    (req, reply) =>
      void reply.code(404).send(errorBody('not_found', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
  guardInput(app);
  app.server.maxConnections = limits.maxConnections;
  refuseMissingCredentialsEarly(app, s);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const duration = new Histogram({
    name: 'saifu_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [metrics],
  });
  const moneyErrors = new Counter({
    name: 'saifu_http_errors_total',
    help: 'Error responses by code',
    labelNames: ['code'],
    registers: [metrics],
  });
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (reply.statusCode >= 400) moneyErrors.inc({ code: String(reply.statusCode) });
  });

  await app.register(rateLimit, {
    global: false,
    keyGenerator: rateLimitKey,
    // Windows in the server's time (the injected clock), like every other window in Saifu.
    store: clockRateLimitStore(s.clock),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      ...errorBody('too_many_attempts', `too many attempts: retry after ${Math.ceil(ctx.ttl / 1000)} s`, {
        retryAfterSeconds: Math.ceil(ctx.ttl / 1000),
      }),
    }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Saifu API',
        version: o.version ?? '0.1.0',
        description:
          'E-money wallet core: bank linking, charges, payments, transfers, withdrawals. Errors: {"error":{"code","message","details"}}. Money POSTs need Idempotency-Key.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'User session token, or merchant API key (sk_…)' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  if (o.docs !== false) {
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`SELECT 1`.execute(s.db);
      return { status: 'ready', database: s.database.kind };
    } catch {
      return reply.code(503).send(errorBody('internal_error', 'database not reachable'));
    }
  });
  if (o.metrics !== false) {
    const allowed = bearerCheck(o.metricsToken);
    app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
      if (!allowed(req.headers.authorization))
        return reply.code(401).send(errorBody('unauthorized', 'send Authorization: Bearer <SAIFU_METRICS_TOKEN>'));
      return reply.header('content-type', metrics.contentType).send(await metrics.metrics());
    });
  }

  const idem = idempotency(s.db, s.clock);
  await app.register(userRoutes(s));
  await app.register(moneyRoutes(s, idem));
  await app.register(merchantRoutes(s));
  await app.register(bankLinkRoutes(s));
  await app.register(identityRoutes(s));
  await app.register(bankRoutes(s));
  await app.register(adminRoutes(s));
  await app.register(riskAdminRoutes(s));
  await app.register(relinkAdminRoutes(s));
  await app.register(incidentAdminRoutes(s));
  await app.register(outboxAdminRoutes(s));
  if (o.sandbox) {
    await app.register(sandboxRoutes(s));
    await app.register(sandboxIdentityRoutes(s));
  }
  return app;
}

/**
 * Rate limits count per client address only: the address is what a client cannot choose (the socket, or the first
 * X-Forwarded-For hop when SAIFU_TRUST_PROXY says a proxy we run sets it). X-Device-Id is the client's own claim, so
 * keying on it would let a new device id per request start a fresh count.
 */
export const rateLimitKey = (req: FastifyRequest): string => req.ip;

/**
 * Node's HTTP server checks header and request deadlines only every `connectionsCheckingInterval` (30 s by default),
 * so it is tightened to a fraction of the shorter deadline. A socket with no traffic at all (a client that stops
 * reading the answer) is closed after twice the request timeout; one socket serves at most 1,000 requests.
 */
function socketLimits(l: HttpLimits) {
  const checkEveryMs = Math.max(25, Math.min(1000, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 4)));
  return {
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionTimeout: 2 * l.requestTimeoutMs,
    maxRequestsPerSocket: 1000,
    http: {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      connectionsCheckingInterval: checkEveryMs,
    },
  };
}

/**
 * Fastify reads a body after onRequest and before preValidation, where the credential is checked. So routes whose
 * preValidation resolves a caller are marked at registration, and a request to one without a well-formed
 * `Authorization: Bearer …` header is answered 401 in onRequest, before a stranger's body is read; when a body was
 * announced the connection is closed rather than drained. Whether the token is valid is still decided by the guard.
 */
function refuseMissingCredentialsEarly(app: FastifyInstance, s: Services): void {
  const guardNames = new Set(Object.values(authHandlers(s)).map((f) => f.name));
  app.addHook('onRoute', (route) => {
    const hooks =
      route.preValidation === undefined
        ? []
        : Array.isArray(route.preValidation)
          ? route.preValidation
          : [route.preValidation];
    if (hasOperatorGuard(route) || hooks.some((h) => guardNames.has(h.name)))
      route.config = { ...route.config, needsCredential: true };
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!req.routeOptions.config.needsCredential || /^Bearer\s+\S+$/i.test(req.headers.authorization ?? '')) return;
    const announcedBody =
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
      req.headers['transfer-encoding'] !== undefined;
    if (announcedBody) void reply.header('connection', 'close');
    return reply.code(401).send(errorBody('unauthorized', 'send Authorization: Bearer <token>'));
  });
}

/** Compares a bearer token in constant time; no token configured means open. */
function bearerCheck(token: string | undefined): (header: string | undefined) => boolean {
  if (!token) return () => true;
  const want = Buffer.from(`Bearer ${token}`);
  return (header) => {
    const got = Buffer.from(header ?? '');
    return got.length === want.length && timingSafeEqual(got, want);
  };
}
