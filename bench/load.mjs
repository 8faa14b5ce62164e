// Load generator for the HTTP payment bench, run as its own process so it does not share the server's event
// loop. Reads {url, tokens, merchants, seconds, connections, rate?, paced?} as JSON from argv[2]; prints one JSON
// result on stdout: {ok, non2xx, errors, timeouts, total, seconds, p50, p99, statusCodes, cpuSeconds, loopDelayP99, loopDelayMax}.
//
// - without `rate`: autocannon as fast as `connections` keep-alive connections allow (closed loop: the maximum);
// - with `rate`: autocannon's `overallRate` (each connection sends its share of the second's quota back to back
//   and then waits for the next second: bursts, not a steady flow);
// - with `rate` and `paced`: an open-loop generator that starts request i at exactly start + i/rate over a pool of
//   `connections` keep-alive sockets, latency measured from the time it was due (so queueing in the client counts:
//   no coordinated omission). This is "latency at half load" as a steady stream of customers would see it.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';

const cfg = JSON.parse(process.argv[2]);
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let n = 0;
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const headersFor = () => ({
  'content-type': 'application/json',
  authorization: `Bearer ${pick(cfg.tokens)}`,
  'idempotency-key': `bench-${randomBytes(6).toString('hex')}-${n++}`,
});
const bodyFor = () => JSON.stringify({ merchantId: pick(cfg.merchants), amount: 1 + (n % 9) });

const result = cfg.paced ? await paced() : await cannon();
const cpu = process.cpuUsage();
process.stdout.write(
  JSON.stringify({
    ...result,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    loopDelayP99: loop.percentile(99) / 1e6,
    loopDelayMax: loop.max / 1e6,
  }),
);

async function cannon() {
  const r = await autocannon({
    url: cfg.url,
    connections: cfg.connections,
    duration: cfg.seconds,
    // autocannon's correction for coordinated omission assumes an interval of ceil(1/rate) = 1 ms, which weights
    // each response by its own latency in ms; its rate limiting is per-second bursts anyway. Record what happened.
    ...(cfg.rate ? { overallRate: cfg.rate, ignoreCoordinatedOmission: true } : {}),
    requests: [
      {
        method: 'POST',
        path: '/v1/payments',
        setupRequest: (req) => ({ ...req, headers: headersFor(), body: bodyFor() }),
      },
    ],
  });
  return {
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    total: r['2xx'] + r.non2xx + r.errors + r.timeouts,
    seconds: r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

async function paced() {
  const url = new URL(cfg.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.connections });
  const latencies = [];
  const statusCodes = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  const send = (due) =>
    new Promise((resolve) => {
      inFlight++;
      const body = bodyFor();
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/payments',
          method: 'POST',
          agent,
          headers: { ...headersFor(), 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (status >= 200 && status < 300) {
              ok++;
              latencies.push(performance.now() - due);
            } else non2xx++;
            inFlight--;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        inFlight--;
        resolve();
      });
      req.end(body);
    });
  const interval = 1000 / cfg.rate;
  const start = performance.now();
  const end = start + cfg.seconds * 1000;
  let sent = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = Math.min(performance.now(), end);
      while (start + sent * interval <= now) void send(start + sent++ * interval);
      if (now >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const drainUntil = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  const timeouts = inFlight;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0) * 100) / 100;
  return { ok, non2xx, errors, timeouts, total: sent, seconds: cfg.seconds, p50: at(50), p99: at(99), statusCodes };
}
