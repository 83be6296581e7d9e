// Benchmark 1: the Node http adapter (`createRequestListener`) against a bare `http.createServer`
// hello world. The Epilogue route also dispatches one after-response job per request; a second
// Epilogue route does not, to separate the adapter's cost from the job's.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { compareThroughput } from './lib/compare.mjs';
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
  );
}

/**
 * Measures the subjects of a server module (the keys of `labels`) against its `bare` server and
 * returns the table rows.
 */
export async function compareAdapter(moduleUrl, group, labels, baselineLabel, { rounds, duration, warmup, load, log }) {
  const results = await compareThroughput({
    modulePath: fileURLToPath(moduleUrl),
    baseline: 'bare',
    subjects: Object.keys(labels),
    load: { ...load, duration },
    rounds,
    warmupSeconds: warmup,
    log,
  });
  return throughputRows(group, results, 'bare', labels, baselineLabel);
}

/** Table rows for a throughput comparison, with the ≥ 0.90× target on every subject. */
export function throughputRows(group, results, baseline, labels, baselineLabel) {
  const base = results[baseline];
  const rows = [];
  for (const [name, labelled] of Object.entries(labels)) {
    // A label given as { label } marks a reference row: reported, without a target.
    const reference = typeof labelled === 'object';
    const label = reference ? labelled.label : labelled;
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
      target: reference ? undefined : '≥ 0.90×',
      pass: reference ? undefined : result.ratio >= 0.9,
      notes,
    });
  }
  return rows;
}
