// Benchmark 3: does after-response work delay responses? The same Epilogue route (node-http
// adapter), once dispatching a job that takes 200 ms after the response and once without it,
// compared by exact p99 response latency under the same load.
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { listen } from './http-adapter.mjs';
import { compareLatency } from './lib/compare.mjs';
import { importPackage } from './lib/paths.mjs';

const BODY = 'Hello, World!';
const JOB_MS = 200;

async function route(withJob) {
  const { Application } = await importPackage('core');
  const { Job } = await importPackage('bus');
  const { createRequestListener } = await importPackage('node-http');
  let ran = 0;
  class SlowJob extends Job {
    async handle() {
      await sleep(JOB_MS);
      ran++;
    }
  }
  const app = new Application({ report: (error) => console.error('[bench] reported', error) });
  const listener = createRequestListener(app, (request, response) => {
    if (withJob) SlowJob.dispatchAfterResponse();
    response.end(BODY);
  });
  return { ...(await listen(createServer(listener))), app, jobs: withJob ? () => ran : undefined };
}

// The same pair without Epilogue: a bare server, and one that waits 200 ms after each response's
// 'finish' in an async function. It tells Epilogue's share of the latency cost from Node's own
// (timers, promises and the garbage collector handling thousands of pending waits).
function bare(withWait) {
  let ran = 0;
  const server = createServer((request, response) => {
    response.end(BODY);
    if (withWait) {
      response.once('finish', async () => {
        await sleep(JOB_MS);
        ran++;
      });
    }
  });
  return listen(server).then((listening) => ({ ...listening, jobs: withWait ? () => ran : undefined }));
}

export const servers = {
  'no-job': () => route(false),
  'slow-job': () => route(true),
  bare: () => bare(false),
  'bare-wait': () => bare(true),
};

export const title = `p99 latency with a ${JOB_MS} ms after-response job`;

/**
 * Two load shapes: a fixed, moderate rate (what a service sees most of the time; the longer and
 * more numerous runs because a p99 of ~1 ms is easily disturbed) and a closed loop at full speed
 * (where after-response work competes with requests for the CPU).
 */
export const shapes = [
  {
    label: 'fixed 2,000 req/s, 10 connections',
    load: { connections: 10, pipelining: 1, overallRate: 2000 },
    rounds: 5,
    duration: 3,
  },
  { label: 'saturated, 50 connections', load: { connections: 50, pipelining: 1 }, rounds: 3, duration: 2 },
];

/** Runs the comparison for each load shape and returns table rows. */
export async function run({ rounds, duration, warmup, explicit = {}, log }) {
  const rows = [];
  for (const shape of shapes) {
    log(`  ${shape.label}`);
    const results = await compareLatency({
      modulePath: fileURLToPath(import.meta.url),
      pairs: [
        ['no-job', 'slow-job'],
        ['bare', 'bare-wait'],
      ],
      load: { ...shape.load, duration: explicit.duration ? duration : shape.duration },
      rounds: explicit.rounds ? rounds : shape.rounds,
      warmupSeconds: Math.min(warmup, 1),
      log,
    });
    const row = (subject, baseline, label, baselineLabel, target) => ({
      group: 'latency',
      subject: `${label}, ${shape.label}`,
      baseline: baselineLabel,
      metric: 'p99 ms',
      value: results[subject].p99,
      baselineValue: results[baseline].p99,
      ratio: results[subject].ratio,
      ratios: results[subject].ratios,
      target,
      pass: target === undefined ? undefined : results[subject].ratio <= 1.1,
      notes: [
        `p50 ${results[subject].p50.toFixed(2)} vs ${results[baseline].p50.toFixed(2)} ms`,
        `${Math.round(results[subject].rps).toLocaleString('en-US')} vs ${Math.round(results[baseline].rps).toLocaleString('en-US')} req/s`,
        `${results[subject].jobs} jobs ran for ${results[subject].served} responses`,
        ...(results[subject].othersMax > 0.25
          ? [`other processes took up to ${results[subject].othersMax.toFixed(2)} cores`]
          : []),
      ],
    });
    rows.push(row('slow-job', 'no-job', `Epilogue + ${JOB_MS} ms after-response job`, 'same route, no job', '≤ 1.10×'));
    rows.push(row('bare-wait', 'bare', `bare http + ${JOB_MS} ms wait after 'finish' (reference)`, 'bare http'));
  }
  return rows;
}
