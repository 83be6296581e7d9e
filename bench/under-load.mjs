// Benchmark 7: CPU isolation under load. Does synchronous after-response work (rendering a PDF,
// resizing an image) make the other requests wait? The same Epilogue route (node-http adapter),
// four ways, each in its own server process, under open-loop Poisson arrivals from another
// process (bench/lib/poisson-worker.mjs), every response's latency measured:
//
//   no-job     the route alone: the baseline of every ratio
//   inline     a hand-written reference: the same CPU work run right on the response's 'finish',
//              no governor (what after-response work did before the governor)
//   governor   CpuJob.dispatchAfterResponse(ms), default `afterResponse` options
//   threads    CpuJob.dispatch(ms) to a WorkerThreadsDriver connection (@epilogue/threads)
//
// Two cases, each over interleaved rounds (the same seeded arrivals for every server of a round),
// reported as the median of the per-round p99 ratios against no-job; then a load sweep of the
// first case, whose p99 per offered load is drawn as an SVG.
//
//   node bench/under-load.mjs                  about 7 minutes
//   BENCH_ROUNDS=3 BENCH_DURATION=2 node bench/under-load.mjs     a quick check
//   BENCH_SVG=docs/under-load.svg node bench/under-load.mjs       also write the plot there
//   BENCH_MAX_RETRIES=0 node bench/under-load.mjs    never measure a disturbed sample again
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { listen } from './http-adapter.mjs';
import { compareLatency } from './lib/compare.mjs';
import { burn, calibrate } from './lib/cpu-work.mjs';
import { importPackage, isBuilt, root } from './lib/paths.mjs';
import { median } from './lib/stats.mjs';
import { lineChartSvg } from './lib/svg-plot.mjs';

const BODY = 'Hello, World!';
const THREADS = 2;
const THREADS_MISSING = 'threads package missing: packages/threads/dist is not built (no @epilogue/threads on this branch)';

/** The two measured cases of issue 11. Each request asks for the job's size in its path. */
export const CASES = [
  { key: 'cpu-20ms', jobMs: 20, rate: 30, rounds: 8, duration: 5, targets: { threads: 2.0 } },
  { key: 'cpu-2ms', jobMs: 2, rate: 250, rounds: 8, duration: 4, targets: { governor: 2.5 } },
];
/** The sweep drawn in the plot: the 20 ms job at these offered loads. */
export const SWEEP = { jobMs: 20, rates: [10, 20, 30, 40], roundsPerRate: 2, duration: 3 };
// Each measured run starts with this much unrecorded load (keep-alive sockets get opened).
const RUN_WARMUP_S = 0.5;

const LABELS = {
  'no-job': 'no job',
  inline: "inline on 'finish' (reference)",
  governor: 'governor (dispatchAfterResponse)',
  threads: 'threads (WorkerThreadsDriver)',
};

const jobMsOf = (request) => Number(request.url.slice(request.url.indexOf('=') + 1)) || 0;

async function serve(handler, extra = {}) {
  const server = createServer(handler);
  // Longer than any pause between two runs, so an idle keep-alive socket is never closed
  // under a request that is being sent on it.
  server.keepAliveTimeout = 120_000;
  return { ...(await listen(server)), ...extra };
}

async function epilogue(options) {
  const { Application } = await importPackage('core');
  const { Job } = await importPackage('bus');
  const { createRequestListener } = await importPackage('node-http');
  const app = new Application({ report: (error) => console.error('[bench] reported', error), ...options });
  return { app, Job, createRequestListener };
}

export const servers = {
  'no-job': async () => {
    const { app, createRequestListener } = await epilogue();
    return serve(createRequestListener(app, (request, response) => response.end(BODY)), { app });
  },

  inline: async () => {
    const { app, createRequestListener } = await epilogue();
    let ran = 0;
    const listener = createRequestListener(app, (request, response) => {
      const ms = jobMsOf(request);
      response.once('finish', () => {
        burn(ms);
        ran++;
      });
      response.end(BODY);
    });
    return serve(listener, { app, jobs: () => ran });
  },

  governor: async () => {
    const { app, Job, createRequestListener } = await epilogue();
    let ran = 0;
    class CpuJob extends Job {
      constructor(ms) {
        super();
        this.ms = ms;
      }
      handle() {
        burn(this.ms);
        ran++;
      }
    }
    const listener = createRequestListener(app, (request, response) => {
      CpuJob.dispatchAfterResponse(jobMsOf(request));
      response.end(BODY);
    });
    return serve(listener, { app, jobs: () => ran });
  },

  threads: async () => {
    if (!isBuilt('threads')) throw new Error(THREADS_MISSING);
    const { threadsServer } = await import('./lib/threads-app.mjs');
    const { app, CpuJob, jobs, close } = await threadsServer(THREADS);
    const { createRequestListener } = await importPackage('node-http');
    const listener = createRequestListener(app, (request, response) => {
      void CpuJob.dispatch(jobMsOf(request)).catch((error) => console.error('[bench] dispatch', error));
      response.end(BODY);
    });
    const served = await serve(listener, { app, jobs });
    return {
      ...served,
      close: async () => {
        await served.close();
        await close();
      },
    };
  },
};

export const title = 'CPU isolation under open-loop load: p99 with a synchronous after-response job';

/** Whether the threads row can run. */
export const threadsAvailable = () => isBuilt('threads');

function names() {
  return threadsAvailable() ? ['no-job', 'inline', 'governor', 'threads'] : ['no-job', 'inline', 'governor'];
}

function pairs() {
  return names()
    .slice(1)
    .map((name) => ['no-job', name]);
}

const load = (jobMs, rate, duration, round) => ({
  path: `/?ms=${jobMs}`,
  rate,
  duration,
  warmup: RUN_WARMUP_S,
  // The same arrivals for every server of a round, other arrivals in the next one.
  seed: 1000 + Math.max(0, round),
});

const describe = (s) => `p99 ${s.exact.p99.toFixed(2)} ms${s.errors + s.timeouts + s.non2xx > 0 ? ` (${s.errors + s.timeouts + s.non2xx} failed)` : ''}`;

/** Every server of this module, interleaved under open-loop load; `loadOf(round)` gives each round's. */
function openLoop(loadOf, rounds, log) {
  return compareLatency({
    modulePath: fileURLToPath(import.meta.url),
    pairs: pairs(),
    load: loadOf,
    rounds,
    warmupSeconds: 1,
    generator: 'poisson-worker.mjs',
    extra: { countErrors: true },
    // On a shared machine a disturbed sample is measured again once, not more: the run stays bounded.
    maxRetries: Number(process.env.BENCH_MAX_RETRIES ?? 1),
    log,
    describe,
  });
}

const failedOf = (samples) => samples.reduce((sum, s) => sum + s.errors + s.timeouts + s.non2xx, 0);

/** Measures one case and returns its rows and raw results. */
async function measureCase(spec, settings) {
  const { log } = settings;
  const rounds = settings.explicit?.rounds ? settings.rounds : spec.rounds;
  const duration = settings.explicit?.duration ? settings.duration : spec.duration;
  log(`  ${spec.jobMs} ms job, ${spec.rate} req/s Poisson, ${rounds} rounds × ${duration} s`);
  const results = await openLoop((round) => load(spec.jobMs, spec.rate, duration, round), rounds, log);
  const base = results['no-job'];
  const rows = [];
  for (const name of names().slice(1)) {
    const result = results[name];
    const target = spec.targets[name];
    rows.push({
      group: 'under-load',
      subject: `${LABELS[name]}, ${spec.jobMs} ms job at ${spec.rate} req/s`,
      baseline: 'same route, no job',
      metric: 'p99 ms',
      value: result.p99,
      baselineValue: base.p99,
      ratio: result.ratio,
      ratios: result.ratios,
      target: target === undefined ? undefined : `≤ ${target.toFixed(2)}×`,
      pass: target === undefined ? undefined : result.ratio <= target,
      notes: notesFor(result, base, spec.jobMs),
      raw: { name, jobMs: spec.jobMs, rate: spec.rate, p50: result.p50, p99: result.p99, max: result.max, baseP50: base.p50 },
    });
  }
  return { rows, results };
}

function notesFor(result, base, jobMs) {
  const lag = Math.max(...result.samples.map((s) => s.sendLag.p99));
  const notes = [
    `p50 ${result.p50.toFixed(2)} vs ${base.p50.toFixed(2)} ms`,
    // A request that arrives while one job runs waits for it: the floor of any in-process design.
    `p99 − one job: ${(result.p99 - jobMs).toFixed(2)} ms`,
    `max ${result.max.toFixed(1)} vs ${base.max.toFixed(1)} ms`,
    `${(median(result.samples.map((s) => s.sent)) / result.samples[0].duration).toFixed(1)} req/s sent`,
    `${result.jobs ?? 0} jobs ran for ${result.served} responses`,
    `${failedOf(result.samples)} failed requests (no job: ${failedOf(base.samples)})`,
    `generator late by ≤ ${lag.toFixed(2)} ms (p99)`,
  ];
  if (result.othersMax > 0.25) notes.push(`other processes took up to ${result.othersMax.toFixed(2)} cores`);
  return notes;
}

/** The load sweep: p99 per offered load for every server, in one interleaved run. */
async function sweep(settings) {
  const { log } = settings;
  const duration = settings.explicit?.duration ? settings.duration : SWEEP.duration;
  const { rates, jobMs } = SWEEP;
  // A quick check (BENCH_ROUNDS=2) does one round per load.
  const roundsPerRate = settings.explicit?.rounds ? Math.max(1, Math.round(settings.rounds / 4)) : SWEEP.roundsPerRate;
  const rounds = rates.length * roundsPerRate;
  log(`  sweep: ${jobMs} ms job at ${rates.join(', ')} req/s, ${roundsPerRate} rounds × ${duration} s each`);
  const rateOf = (round) => rates[Math.floor(Math.max(0, round) / roundsPerRate)];
  const results = await openLoop((round) => load(jobMs, rateOf(round), duration, round), rounds, log);
  const curves = {};
  for (const name of names()) {
    curves[name] = rates.map((rate, i) => {
      const mine = results[name].samples.slice(i * roundsPerRate, (i + 1) * roundsPerRate);
      return [rate, median(mine.map((s) => s.exact.p99))];
    });
  }
  return curves;
}

/**
 * Runs both cases and the sweep; returns table rows. Writes the plot to
 * bench/results/under-load.svg (and to BENCH_SVG when set).
 */
export async function run(settings) {
  const { log } = settings;
  const perMs = calibrate();
  log(`  CPU work: ${perMs.toLocaleString('en-US')} steps per ms (calibrated in this process)`);
  if (!threadsAvailable()) log(`  (threads row skipped: ${THREADS_MISSING})`);
  const rows = [];
  for (const spec of CASES) rows.push(...(await measureCase(spec, settings)).rows);
  const curves = await sweep(settings);
  writePlot(curves);
  rows.push({
    group: 'under-load',
    subject: `sweep, ${SWEEP.jobMs} ms job: p99 ms at ${SWEEP.rates.join(' / ')} req/s`,
    metric: 'p99 ms',
    notes: Object.entries(curves).map(([name, points]) => `${name} ${points.map(([, p99]) => p99.toFixed(1)).join(' / ')}`),
  });
  return rows;
}

export function writePlot(curves) {
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
  const svg = lineChartSvg({
    panels: [
      {
        title: `p99 latency, ${SWEEP.jobMs} ms synchronous job per request`,
        xLabel: 'offered load (requests/s, Poisson arrivals)',
        yLabel: 'p99 response latency (ms, log scale)',
        series: Object.entries(curves).map(([name, points]) => ({ name: LABELS[name], points })),
      },
    ],
    caption: `bench/under-load.mjs, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine}`,
  });
  const paths = [join(root, 'bench', 'results', 'under-load.svg')];
  if (process.env.BENCH_SVG) paths.push(resolve(process.env.BENCH_SVG));
  for (const path of paths) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, svg);
  }
}

// Run on its own: `node bench/under-load.mjs`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { standalone } = await import('./lib/standalone.mjs');
  await standalone({ name: 'under-load', run, title });
}
