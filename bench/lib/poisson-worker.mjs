// The open-loop load generator, run in its own process (forked by harness.mjs). Requests arrive
// as a Poisson process at a fixed mean rate: the gaps between sends are exponential, drawn from a
// seeded generator, and every send is scheduled against an absolute time from the start of the
// run, so a slow response never delays the next send (a closed loop, or autocannon's
// `overallRate`, would wait and hide the very delay being measured). Every response's latency is
// recorded, from just before the request is written to the end of its body, and the percentiles
// are exact (nearest rank over all of them).
//
// Request (over IPC): { options: { url, path, rate, duration, warmup = 0, seed = 1,
//   maxSockets = 256, timeoutMs = 10000, drainMs = 10000, keepLatencies = false } }
//   path      the request path (default: the url's)
//   rate      mean arrivals per second
//   duration  seconds measured, after `warmup` seconds sent but not recorded (opens the sockets)
// Answer: { summary } with requests (recorded), responses (all), rps, errors, timeouts, non2xx, unfinished, exact
//   { count, p50, p90, p99, max } in fractional ms, sendLag { p50, p99, max } (how late the
//   generator sent, against its schedule), loaderCpuSeconds, and `latencies` when asked.
import { Agent, request } from 'node:http';
import { percentile } from './stats.mjs';

/** mulberry32: a small seeded generator, so that every server of a round gets the same arrivals. */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkTarget(url) {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`the load generator only sends to 127.0.0.1, not ${target.hostname}`);
  if (target.protocol !== 'http:') throw new Error(`the load generator speaks plain http, not ${target.protocol}`);
  return target;
}

/** Runs one open-loop load run and resolves its summary. */
export function runOpenLoop(options) {
  const { url, path, rate, duration, warmup = 0, seed = 1, maxSockets = 256, timeoutMs = 10_000, drainMs = 10_000 } = options;
  if (!(rate > 0) || !(duration > 0)) throw new Error(`rate and duration must be > 0 (got ${rate}, ${duration})`);
  const target = checkTarget(url);
  const requestPath = path ?? `${target.pathname}${target.search}`;
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const random = seeded(seed);
  const gap = () => (-Math.log(1 - random()) / rate) * 1000;
  const cpuBefore = process.cpuUsage();

  const latencies = [];
  const lags = [];
  const counts = { sent: 0, errors: 0, timeouts: 0, non2xx: 0, unfinished: 0, responses: 0 };
  const inFlight = new Set();
  // Leave 20 ms to set up, then the schedule runs on absolute times from `start`.
  const start = performance.now() + 20;
  const measureFrom = start + warmup * 1000;
  const end = measureFrom + duration * 1000;
  let next = start + gap();

  const send = (scheduled) => {
    const recorded = scheduled >= measureFrom;
    const sentAt = performance.now();
    if (recorded) {
      counts.sent++;
      lags.push(sentAt - scheduled);
    }
    const req = request({ agent, host: target.hostname, port: target.port, path: requestPath });
    inFlight.add(req);
    let settled = false;
    const settle = (outcome) => {
      if (settled) return;
      settled = true;
      inFlight.delete(req);
      if (outcome === 'ok') counts.responses++;
      if (!recorded) return;
      if (outcome === 'ok') latencies.push(performance.now() - sentAt);
      else counts[outcome]++;
    };
    req.setTimeout(timeoutMs, () => {
      settle('timeouts');
      req.destroy();
    });
    req.on('error', () => settle('errors'));
    req.on('response', (response) => {
      const ok = response.statusCode === 200;
      response.on('error', () => settle('errors'));
      response.on('end', () => settle(ok ? 'ok' : 'non2xx'));
      response.resume();
    });
    req.end();
  };

  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next <= now && next < end) {
        send(next);
        next += gap();
      }
      if (next < end) setTimeout(tick, Math.max(0, next - performance.now()));
      else void finish();
    };
    const finish = async () => {
      const deadline = performance.now() + drainMs;
      while (inFlight.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      for (const req of inFlight) {
        counts.unfinished++;
        req.destroy();
      }
      agent.destroy();
      const cpu = process.cpuUsage(cpuBefore);
      const summary = {
        loaderCpuSeconds: (cpu.user + cpu.system) / 1e6,
        requests: latencies.length,
        // Including the warm-up's, which are not recorded.
        responses: counts.responses,
        sent: counts.sent,
        duration,
        rps: latencies.length / duration,
        errors: counts.errors + counts.unfinished,
        timeouts: counts.timeouts,
        non2xx: counts.non2xx,
        unfinished: counts.unfinished,
        exact: {
          count: latencies.length,
          p50: percentile(latencies, 50),
          p90: percentile(latencies, 90),
          p99: percentile(latencies, 99),
          max: percentile(latencies, 100),
        },
        sendLag: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: percentile(lags, 100) },
      };
      if (options.keepLatencies) summary.latencies = latencies;
      resolve(summary);
    };
    setTimeout(tick, Math.max(0, next - performance.now()));
  });
}

if (process.send !== undefined) {
  process.on('message', async ({ id, options }) => {
    try {
      process.send({ id, summary: await runOpenLoop(options) });
    } catch (error) {
      process.send({ id, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
