import { type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpLimits } from '../src/config.ts';
import { buildApp } from '../src/http/index.ts';
import { type World, createWorld } from './support/world.ts';

/**
 * The real server on a real socket: slow or silent clients are cut off within the configured deadlines, the
 * connection cap holds, and a stranger's body is refused before it is read. Deadlines are short so each test
 * stays well under 5 s.
 */
const SHORT: HttpLimits = {
  requestTimeoutMs: 1000,
  headersTimeoutMs: 500,
  keepAliveTimeoutMs: 5000,
  maxConnections: 10_000,
};

interface RawClient {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the milliseconds from connect until the server closed the socket. */
  closed: Promise<number>;
  /** Resolves once `text` has been received. */
  waitFor(text: string): Promise<string>;
}

function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const waiters: Array<() => void> = [];
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      for (const w of waiters.splice(0)) w();
    });
    socket.on('error', () => {}); // a reset is one way of being closed
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - started)));
    const waitFor = (text: string) =>
      new Promise<string>((done, fail) => {
        const check = () => (data.includes(text) ? done(data) : waiters.push(check));
        check();
        void closed.then(() =>
          data.includes(text)
            ? done(data)
            : fail(new Error(`closed before ${JSON.stringify(text)}; got ${JSON.stringify(data)}`)),
        );
      });
    socket.once('connect', () => resolve({ socket, received: () => data, closed, waitFor }));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: saifu.test\r\n\r\n`;

async function listening(w: World, limits: HttpLimits): Promise<{ app: FastifyInstance; port: number }> {
  const app = await buildApp(w, { sandbox: true, trustProxy: false, logLevel: 'silent', limits });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port };
}

describe('HTTP socket limits (real server)', () => {
  let w: World;
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    w = await createWorld('pglite');
    ({ app, port } = await listening(w, SHORT));
  });
  afterAll(async () => {
    await app?.close();
    await w?.close();
  });

  it('a body trickled slower than the request timeout is answered 408 and the socket closed within the timeout', async () => {
    const c = await rawClient(port);
    c.socket.write(
      'POST /v1/payments HTTP/1.1\r\nHost: saifu.test\r\nAuthorization: Bearer sk_slow_client\r\nContent-Type: application/json\r\nIdempotency-Key: slow-1\r\nContent-Length: 1000\r\n\r\n',
    );
    const trickle = setInterval(() => c.socket.writable && c.socket.write(' '), 100);
    try {
      const after = await c.closed;
      expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(c.received()).toContain('"code":"invalid_request"');
      expect(after).toBeGreaterThanOrEqual(SHORT.requestTimeoutMs - 50);
      expect(after).toBeLessThan(SHORT.requestTimeoutMs + 1000);
    } finally {
      clearInterval(trickle);
    }
  });

  it('a socket that never finishes its headers is closed within the headers timeout, and so is a silent one', async () => {
    const slow = await rawClient(port);
    const silent = await rawClient(port);
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: saifu.test\r\n');
    const trickle = setInterval(() => slow.socket.writable && slow.socket.write('X-Slow: 1\r\n'), 100);
    try {
      const [slowAfter, silentAfter] = await Promise.all([slow.closed, silent.closed]);
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(slowAfter).toBeLessThan(SHORT.headersTimeoutMs + 700);
      expect(silentAfter).toBeLessThan(SHORT.headersTimeoutMs + 700);
    } finally {
      clearInterval(trickle);
    }
  });

  it('an unauthenticated POST to a signed-in route is 401 before its body is read, and the socket is not kept to drain it', async () => {
    for (const authorization of ['', 'Authorization: Basic dXNlcjpwYXNz\r\n', 'Authorization: Bearer\r\n']) {
      const c = await rawClient(port);
      // 60 kB announced (under the 64 kB body limit), not one byte of it sent.
      c.socket.write(
        `POST /v1/payments HTTP/1.1\r\nHost: saifu.test\r\n${authorization}Content-Type: application/json\r\nIdempotency-Key: stranger-1\r\nContent-Length: 60000\r\n\r\n`,
      );
      const answer = await c.waitFor('"code":"unauthorized"');
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain('connection: close');
      expect(await c.closed).toBeLessThan(SHORT.requestTimeoutMs);
    }
    // A body larger than the limit is refused for the missing credential, not read up to the limit first.
    const big = await rawClient(port);
    big.socket.write(
      'POST /v1/transfers HTTP/1.1\r\nHost: saifu.test\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n',
    );
    expect(await big.waitFor('"code":"unauthorized"')).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('public routes still answer without a credential: sign-up, sign-in, sandbox, health', async () => {
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return r.status;
    };
    expect(await post('/v1/signup', {})).toBe(400);
    expect(await post('/v1/sessions', {})).toBe(400);
    expect(await post('/sandbox/bank-accounts', {})).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/v1/me`)).status).toBe(401);
  });
});

describe('HTTP connection cap (real server)', () => {
  let w: World;
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    w = await createWorld('pglite');
    ({ app, port } = await listening(w, { ...SHORT, maxConnections: 2 }));
  });
  afterAll(async () => {
    await app?.close();
    await w?.close();
  });

  it('beyond the cap a new connection is closed unanswered while the open ones keep working; a freed slot is reusable', async () => {
    const first = await rawClient(port);
    const second = await rawClient(port);
    first.socket.write(get('/healthz'));
    second.socket.write(get('/healthz'));
    await Promise.all([first.waitFor('"status":"ok"'), second.waitFor('"status":"ok"')]);

    const third = await rawClient(port);
    third.socket.write(get('/healthz'));
    expect(await third.closed).toBeLessThan(1000);
    expect(third.received()).toBe('');

    first.socket.write(get('/readyz'));
    expect(await first.waitFor('"status":"ready"')).toMatch(/HTTP\/1\.1 200 /);

    second.socket.end();
    await second.closed;
    await sleep(50);
    const fourth = await rawClient(port);
    fourth.socket.write(get('/healthz'));
    expect(await fourth.waitFor('"status":"ok"')).toMatch(/^HTTP\/1\.1 200 /);
    first.socket.destroy();
    fourth.socket.destroy();
  });
});
