// Benchmark 1: the Node http adapter (`createRequestListener`) against a bare `http.createServer`
// hello world. The Epilogue route also dispatches one after-response job per request; a second
// Epilogue route does not, to separate the adapter's cost from the job's.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { compareThroughput } from './lib/compare.mjs';
import { median } from './lib/stats.mjs';
import { hideOtelApi } from './lib/hide-otel-api.mjs';
import { importPackage } from './lib/paths.mjs';

const BODY = 'Hello, World!';

export const servers = {
  bare: () => listen(createServer((request, response) => response.end(BODY))),

  // The floor of any design that carries a per-request context in an AsyncLocalStorage (as
  // DESIGN.md prescribes): bare, plus one `run()` per request. On Node 20 that enables
  // async_hooks, which then costs something for every promise and async resource in the process.
  'bare-als': () => {
    const storage = new AsyncLocalStorage();
    return listen(createServer((request, response) => storage.run(request, () => response.end(BODY))));
  },

  // The floor of any after-response design: the ALS reference plus, once the response is sent,
  // one async no-op run in the request's store. Whatever Epilogue costs above this row is its own.
  'bare-als-job': () => {
    const storage = new AsyncLocalStorage();
    const { job, jobs } = countingNoop();
    const server = createServer((request, response) =>
      storage.run(request, () => {
        response.once('finish', () => storage.run(request, job));
        response.end(BODY);
      }),
    );
    return listen(server).then((listening) => ({ ...listening, jobs }));
  },

  epilogue: async () => {
    const { app, Noop, jobs } = await epilogueApp();
    const { createRequestListener } = await importPackage('node-http');
    let handled = 0;
    const listener = createRequestListener(app, (request, response) => {
      handled++;
      Noop.dispatchAfterResponse();
      response.end(BODY);
    });
    return { ...(await listen(createServer(listener))), app, jobs, handled: () => handled };
  },

  // The same server where @opentelemetry/api cannot be resolved, as if it were not installed
  // (each server runs in a process of its own, so hiding it here touches no other row).
  'epilogue-without-otel-api': async () => {
    hideOtelApi();
    return servers.epilogue();
  },

  'epilogue-no-job': async () => {
    const { app } = await epilogueApp();
    const { createRequestListener } = await importPackage('node-http');
    const listener = createRequestListener(app, (request, response) => response.end(BODY));
    return { ...(await listen(createServer(listener))), app };
  },
};

/**
 * An application with a trivial after-response job, `Noop`, whose `handle` counts its runs (the
 * harness checks that every request's job really ran).
 */
export async function epilogueApp() {
  const { Application } = await importPackage('core');
  const { Job } = await importPackage('bus');
  let ran = 0;
  const app = new Application({ report: (error) => console.error('[bench] reported', error) });
  class Noop extends Job {
    async handle() {
      ran++;
    }
  }
  return { app, Noop, jobs: () => ran };
}

/** An async no-op that counts its runs: the job of the after-response reference rows. */
export function countingNoop() {
  let ran = 0;
  return {
    job: async () => {
      ran++;
    },
    jobs: () => ran,
  };
}

/** Listens on 127.0.0.1 and a free port. */
export function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        close: () => {
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

export const title = 'Node http adapter vs bare http.createServer';

/** Runs the comparison and returns table rows. */
export function run(options) {
  return compareAdapter(
    import.meta.url,
    'node-http',
    {
      epilogue: 'createRequestListener + 1 after-response job (@opentelemetry/api installed, no SDK)',
      'epilogue-without-otel-api': 'createRequestListener + 1 after-response job, without @opentelemetry/api',
      'epilogue-no-job': 'createRequestListener, no job',
      'bare-als': { label: 'bare + AsyncLocalStorage.run per request (reference)' },
      'bare-als-job': { label: "bare + AsyncLocalStorage.run + an async no-op on 'finish' (reference)" },
    },
    'bare http.createServer',
    options,
    ADAPTER_BUDGETS,
  );
}

/** DESIGN.md's budgets on Node.js 20: each adapter row against the reference doing the same work by hand. */
export const ADAPTER_BUDGETS = [
  { subject: 'epilogue-no-job', reference: 'bare-als', target: 0.95 },
  { subject: 'epilogue', reference: 'bare-als-job', target: 0.9 },
];

/**
 * Measures the subjects of a server module (the keys of `labels`) against its `bare` server and
 * returns the table rows: each subject against bare (reported), then each of `budgets` (a
 * subject against the reference row that does the same work by hand, DESIGN.md's budgets),
 * with its target.
 *
 * @param {{ subject: string, reference: string, target: number }[]} budgets
 */
export async function compareAdapter(moduleUrl, group, labels, baselineLabel, { rounds, duration, warmup, load, log }, budgets = []) {
  const results = await compareThroughput({
    modulePath: fileURLToPath(moduleUrl),
    baseline: 'bare',
    subjects: Object.keys(labels),
    load: { ...load, duration },
    rounds,
    warmupSeconds: warmup,
    log,
  });
  return [...throughputRows(group, results, 'bare', labels, baselineLabel), ...budgetRows(group, results, labels, budgets)];
}

const labelOf = (labelled) => (typeof labelled === 'object' ? labelled.label : labelled);

// A subject against its reference: the ratio of the two servers' req/s within each round (they
// are measured seconds apart, as subject and bare are), and the median over the rounds.
function budgetRows(group, results, labels, budgets) {
  return budgets.map(({ subject, reference, target }) => {
    const mine = results[subject];
    const theirs = results[reference];
    const ratios = mine.rpsRounds.map((rps, i) => rps / theirs.rpsRounds[i]);
    const ratio = median(ratios);
    return {
      group,
      subject: labelOf(labels[subject]),
      baseline: labelOf(labels[reference]),
      metric: 'req/s',
      value: mine.rps,
      baselineValue: theirs.rps,
      ratio,
      ratios,
      target: `≥ ${target.toFixed(2)}×`,
      pass: ratio >= target,
      notes: [`server CPU ${mine.cpuPerRequest.toFixed(2)} vs ${theirs.cpuPerRequest.toFixed(2)} µs/req`],
    };
  });
}

/**
 * Table rows for a throughput comparison against the bare server: reported, without a target
 * (DESIGN.md states the adapters' budgets against the reference rows; see `compareAdapter`).
 */
export function throughputRows(group, results, baseline, labels, baselineLabel) {
  const base = results[baseline];
  const rows = [];
  for (const [name, labelled] of Object.entries(labels)) {
    const label = labelOf(labelled);
    const result = results[name];
    const notes = [`server CPU ${result.cpuPerRequest.toFixed(2)} vs ${base.cpuPerRequest.toFixed(2)} µs/req`];
    if (result.jobs !== null && result.jobs !== undefined) notes.push(`${result.jobs} jobs ran for ${result.served} responses`);
    if (result.activeScopes) notes.push(`${result.activeScopes} scopes never ended`);
    if (result.othersMax > 0.25) notes.push(`other processes took up to ${result.othersMax.toFixed(2)} cores`);
    rows.push({
      group,
      subject: label,
      baseline: baselineLabel,
      metric: 'req/s',
      value: result.rps,
      baselineValue: base.rps,
      ratio: result.ratio,
      ratios: result.ratios,
      notes,
    });
  }
  return rows;
}
