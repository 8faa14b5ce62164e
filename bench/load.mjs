// Load generator for the HTTP payment bench, run as its own process so it does not share the server's event
// loop. Reads {url, tokens, merchants, seconds, connections, rate?} as JSON from argv[2]; prints autocannon's
// result as JSON on stdout.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

const cfg = JSON.parse(process.argv[2]);
let n = 0;
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const result = await autocannon({
  url: cfg.url,
  connections: cfg.connections,
  duration: cfg.seconds,
  ...(cfg.rate ? { overallRate: cfg.rate } : {}),
  requests: [
    {
      method: 'POST',
      path: '/v1/payments',
      setupRequest: (req) => ({
        ...req,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${pick(cfg.tokens)}`,
          'idempotency-key': `bench-${randomBytes(6).toString('hex')}-${n++}`,
        },
        body: JSON.stringify({ merchantId: pick(cfg.merchants), amount: 1 + (n % 9) }),
      }),
    },
  ],
});
process.stdout.write(JSON.stringify({ requests: result.requests, latency: result.latency, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, total: result.requests.total, statusCodeStats: result.statusCodeStats }));
