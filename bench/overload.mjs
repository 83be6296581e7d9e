// Benchmark 8: slow I/O overload. Every request dispatches, after its response, a job that awaits
// 2 s (a slow SMTP server) with a 1 KB argument, and autocannon keeps the server saturated (50
// connections, closed loop) for 30 s. With `afterResponse: { maxPending: 5000, overflow: 'redis' }`
// the jobs beyond the limit go to a BullMQ connection, and a worker in another process runs them.
//
// Reported: the server's peak heap growth (process.memoryUsage().heapUsed sampled every 10 ms,
// against the heap after GC before the load), the peak of its live heap (after a full GC, once a
// second) and peak RSS, and the accounting of every job by
// id: each id the server handed out ran exactly once, here or on the worker (duplicates and
// misses are counted). A reference run without `overflow` (everything waits in memory) shows
// what the limit prevents; it is stopped after its load, not drained.
//
//   node bench/overload.mjs                    about 2 minutes (needs Redis on 127.0.0.1:6379)
//   BENCH_OVERLOAD_SECONDS=10 node bench/overload.mjs    a shorter load
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { listen } from './http-adapter.mjs';
import { startLoadGenerator, startServer } from './lib/harness.mjs';
import { importPackage } from './lib/paths.mjs';
import { deleteKeys, startSide } from './lib/queue-harness.mjs';
import { REDIS } from './lib/queue-sides.mjs';
import { argumentFor, defineSlowMail, JOB_MS } from './lib/slow-io-job.mjs';

export { available } from './queue.mjs';

const BODY = 'Hello, World!';
const SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 30);
const REFERENCE_SECONDS = Math.min(10, SECONDS);
const LOAD = { connections: 50, pipelining: 1 };
const MAX_PENDING = 5000;
// I/O-bound jobs: many may wait at once (500 jobs/s here at 2 s each). The default, 64, would
// take 2.5 minutes to drain the 5,000 pending after the load.
const CONCURRENCY = Number(process.env.BENCH_OVERLOAD_CONCURRENCY ?? 1000);
const HEAP_LIMIT_MB = 64;
const SAMPLE_MS = 10;
const PREFIX_ENV = 'BENCH_OVERLOAD_PREFIX';

async function server({ overflow }) {
  const { Application } = await importPackage('core');
  const { createRequestListener } = await importPackage('node-http');
  let ids = [];
  let ranHere = 0;
  const SlowMail = await defineSlowMail((id) => {
    ids.push(id);
    ranHere++;
  });
  const app = new Application({
    report: (error) => console.error('[bench] reported', error?.message ?? error),
    afterResponse: { maxPending: MAX_PENDING, concurrency: CONCURRENCY, ...(overflow ? { overflow: 'redis' } : {}) },
  });
  let driver;
  if (overflow) {
    const { configureQueues } = await importPackage('queue');
    const { BullMQDriver } = await importPackage('bullmq');
    driver = new BullMQDriver({ connection: REDIS, prefix: process.env[PREFIX_ENV] });
    configureQueues(app, { default: 'redis', connections: { redis: driver } });
  }

  // Peaks since the orchestrator last asked.
  let peak = { heapUsed: 0, rss: 0 };
  const sampler = setInterval(() => {
    const { heapUsed, rss } = process.memoryUsage();
    if (heapUsed > peak.heapUsed) peak.heapUsed = heapUsed;
    if (rss > peak.rss) peak.rss = rss;
  }, SAMPLE_MS);
  sampler.unref();

  let handled = 0;
  const listener = createRequestListener(app, (request, response) => {
    const id = handled++;
    SlowMail.dispatchAfterResponse(id, argumentFor(id));
    response.end(BODY);
  });
  const listening = await listen(createServer(listener));
  return {
    ...listening,
    app,
    handled: () => handled,
    jobs: () => ranHere,
    extra: () => {
      // The live heap: what is still referenced once a full collection has run (the server runs
      // with --expose-gc), beside the raw peak, which includes garbage not yet collected.
      globalThis.gc?.();
      const live = process.memoryUsage().heapUsed;
      const reply = { peak, live, ids, governor: app.afterResponse.stats(), overloaded: app.afterResponse.overloaded };
      peak = { heapUsed: 0, rss: 0 };
      ids = [];
      return reply;
    },
    close: async () => {
      clearInterval(sampler);
      await listening.close();
      await driver?.close();
    },
  };
}

export const servers = {
  overflow: () => server({ overflow: true }),
  memory: () => server({ overflow: false }),
};

export const title = `Slow I/O overload: ${JOB_MS / 1000} s jobs with a 1 KB argument, saturated, maxPending ${MAX_PENDING}, overflow to BullMQ`;

const mb = (bytes) => bytes / 1e6;
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Loads `name` for `seconds` while reading its peaks every second.
 *
 * @returns {Promise<{ summary: object, baseline: object, peak: object, timeline: object[], ids: number[] }>}
 */
async function saturate(name, seconds, log) {
  const modulePath = fileURLToPath(import.meta.url);
  const serverProcess = await startServer(modulePath, name, { execArgv: ['--expose-gc'] });
  const loader = startLoadGenerator();
  const ids = [];
  const peak = { heapUsed: 0, rss: 0, live: 0 };
  const timeline = [];
  const take = async () => {
    const stats = await serverProcess.stats();
    ids.push(...stats.extra.ids);
    peak.heapUsed = Math.max(peak.heapUsed, stats.extra.peak.heapUsed);
    peak.live = Math.max(peak.live, stats.extra.live);
    peak.rss = Math.max(peak.rss, stats.extra.peak.rss);
    return stats;
  };
  try {
    // Warm up the route (its jobs count like any other), let their work end, and measure from
    // the collected heap of an idle server.
    await loader.run({ ...LOAD, url: serverProcess.url, amount: 1000 });
    const baseline = await serverProcess.heap();
    await take();
    peak.heapUsed = 0;
    peak.rss = 0;
    peak.live = 0;
    const started = Date.now();
    const running = loader.run({ ...LOAD, url: serverProcess.url, duration: seconds });
    let done = false;
    void running.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      await sleep(1000);
      const stats = await take();
      timeline.push({
        s: Math.round((Date.now() - started) / 1000),
        heapMb: mb(stats.extra.peak.heapUsed),
        handled: stats.handled,
        ...stats.extra.governor,
      });
      const last = timeline[timeline.length - 1];
      log(
        `    ${last.s} s: ${last.handled} requests, heap peak ${last.heapMb.toFixed(1)} MB, pending ${last.pending}, ` +
          `running ${last.running}, overflowed ${last.overflowed}, completed ${last.completed}`,
      );
    }
    const summary = await running;
    return { serverProcess, loader, summary, baseline, peak, timeline, ids, take };
  } catch (error) {
    await loader.stop();
    await serverProcess.stop();
    throw error;
  }
}

/** Waits until `check()` is true, polling; resolves false after `ms`. */
async function waitFor(check, ms, everyMs = 500) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

/** Counts each id of 0..n-1 over the lists: those run twice or more, and those never run. */
export function account(n, ...lists) {
  const counts = new Uint8Array(n);
  let outOfRange = 0;
  for (const list of lists) {
    for (const id of list) {
      if (Number.isInteger(id) && id >= 0 && id < n) counts[id] = Math.min(255, counts[id] + 1);
      else outOfRange++;
    }
  }
  let duplicates = 0;
  let misses = 0;
  for (const count of counts) {
    if (count === 0) misses++;
    else if (count > 1) duplicates++;
  }
  return { duplicates, misses, outOfRange };
}

/** Runs the overflow run (drained and accounted) and the in-memory reference; returns table rows. */
export async function run({ log }) {
  const prefix = `epilogue-bench:${process.pid}:${randomUUID().slice(0, 8)}:overload`;
  process.env[PREFIX_ENV] = prefix;
  const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 1 });
  const rows = [];
  const worker = await startSide('overflow', prefix);
  try {
    await worker.request({ type: 'listen' });
    log(`  with overflow to BullMQ (prefix ${prefix}), ${SECONDS} s, a worker in another process`);
    const loaded = await saturate('overflow', SECONDS, log);
    const workerIds = [];
    let outcome;
    try {
      // Drain: first what waits here, then what the worker has left.
      const drainedHere = await waitFor(async () => {
        const { governor } = (await loaded.take()).extra;
        return governor.pending === 0 && governor.running === 0;
      }, 120_000);
      const stats = await loaded.take();
      const handled = stats.handled;
      let lastCount = -1;
      let stableSince = Date.now();
      const drainedThere = await waitFor(async () => {
        workerIds.push(...(await worker.request({ type: 'heard' })).reply);
        const count = loaded.ids.length + workerIds.length;
        if (count !== lastCount) {
          lastCount = count;
          stableSince = Date.now();
        }
        // Everything is accounted for, or nothing has moved for 5 s with an empty queue.
        if (count >= handled) return true;
        const size = (await worker.request({ type: 'size' })).reply;
        return size === 0 && Date.now() - stableSince > 5000;
      }, 180_000, 1000);
      outcome = { stats, handled, drainedHere, drainedThere, ...account(handled, loaded.ids, workerIds) };
    } finally {
      await loaded.loader.stop();
      await loaded.serverProcess.stop();
    }
    const growth = mb(loaded.peak.heapUsed - loaded.baseline.heapUsed);
    const { governor } = outcome.stats.extra;
    const exact = outcome.duplicates === 0 && outcome.misses === 0 && outcome.outOfRange === 0;
    log(
      `    ${outcome.handled} jobs: ${loaded.ids.length} ran here, ${workerIds.length} on the worker ` +
        `(${governor.overflowed} overflowed); ${outcome.duplicates} duplicates, ${outcome.misses} missing`,
    );
    const common = [
      `${Math.round(loaded.summary.rps).toLocaleString('en-US')} req/s`,
      `${loaded.summary.errors} errors, ${loaded.summary.non2xx} non-2xx`,
    ];
    rows.push({
      group: 'overload',
      subject: `peak heap growth, ${SECONDS} s saturated, overflow to BullMQ`,
      baseline: 'heap after GC before the load',
      metric: 'MB',
      value: mb(loaded.peak.heapUsed),
      baselineValue: mb(loaded.baseline.heapUsed),
      delta: growth,
      target: `≤ +${HEAP_LIMIT_MB} MB`,
      pass: growth <= HEAP_LIMIT_MB,
      notes: [
        `live heap after a full GC, sampled each second: peak +${mb(loaded.peak.live - loaded.baseline.heapUsed).toFixed(1)} MB`,
        `peak RSS ${mb(loaded.peak.rss).toFixed(0)} MB (before: ${mb(loaded.baseline.rss).toFixed(0)} MB)`,
        `concurrency ${CONCURRENCY}`,
        ...common,
      ],
      timeline: loaded.timeline,
    });
    rows.push({
      group: 'overload',
      subject: 'every job once, by id: ran here, or overflowed and run by the worker',
      metric: 'jobs',
      value: outcome.handled,
      target: '0 duplicates, 0 missing',
      pass: exact && governor.overflowed === workerIds.length,
      notes: [
        `${loaded.ids.length.toLocaleString('en-US')} ran here, ${workerIds.length.toLocaleString('en-US')} on the worker, ${governor.overflowed.toLocaleString('en-US')} overflowed`,
        `${outcome.duplicates} duplicates, ${outcome.misses} missing, ${outcome.outOfRange} unknown ids`,
        `${governor.failed} failed here`,
        ...(outcome.drainedHere ? [] : ['the server did not drain in 120 s']),
        ...(outcome.drainedThere ? [] : ['the worker did not drain in 180 s']),
      ],
    });

    log(`  reference: no overflow (everything waits in memory), ${REFERENCE_SECONDS} s, not drained`);
    const reference = await saturate('memory', REFERENCE_SECONDS, log);
    try {
      const last = reference.timeline[reference.timeline.length - 1];
      const refGrowth = mb(reference.peak.heapUsed - reference.baseline.heapUsed);
      rows.push({
        group: 'overload',
        subject: `reference: peak heap growth, ${REFERENCE_SECONDS} s saturated, no overflow (in memory)`,
        baseline: 'heap after GC before the load',
        metric: 'MB',
        value: mb(reference.peak.heapUsed),
        baselineValue: mb(reference.baseline.heapUsed),
        delta: refGrowth,
        notes: [
          `live heap after a full GC: peak +${mb(reference.peak.live - reference.baseline.heapUsed).toFixed(1)} MB`,
          `peak RSS ${mb(reference.peak.rss).toFixed(0)} MB`,
          `${last?.pending ?? '?'} pending at the end`,
          `${Math.round(reference.summary.rps).toLocaleString('en-US')} req/s`,
        ],
        timeline: reference.timeline,
      });
    } finally {
      await reference.loader.stop();
      await reference.serverProcess.stop();
    }
  } finally {
    await worker.stop();
    const deleted = await deleteKeys(redis, prefix);
    log(`  deleted ${deleted} Redis keys under ${prefix}`);
    redis.disconnect();
  }
  return rows;
}


// Run on its own: `node bench/overload.mjs`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { standalone } = await import('./lib/standalone.mjs');
  const { available } = await import('./queue.mjs');
  await standalone({ name: 'overload', run, title, available });
}
