// Benchmark 5: no growth. One server (node-http adapter, one after-response job per request)
// handles 200,000 requests sent by autocannon from another process with a fixed request count;
// after 10,000 and then every 50,000 requests (counted by the server) it waits for its
// after-response work to end, runs a full GC (--expose-gc) and reports `heapUsed`.
import { fileURLToPath } from 'node:url';
import { startLoadGenerator, startServer } from './lib/harness.mjs';

export const CHECKPOINTS = [10_000, 50_000, 100_000, 150_000, 200_000];
const LIMIT_MB = 10;
// No pipelining here: autocannon 8 stalls when `amount` is combined with pipelining.
const LOAD = { connections: 100, pipelining: 1 };

export const title = 'Heap after 200,000 requests with an after-response job';

/** Runs the load in chunks and returns table rows. */
export async function run({ log, checkpoints = CHECKPOINTS }) {
  const load = LOAD;
  const modulePath = fileURLToPath(new URL('./http-adapter.mjs', import.meta.url));
  const server = await startServer(modulePath, 'epilogue', { execArgv: ['--expose-gc'] });
  const loader = startLoadGenerator();
  const samples = [];
  try {
    for (const checkpoint of checkpoints) {
      // Count on the server's side, and top up should a run stop short.
      let handled = (await server.stats()).handled;
      while (handled < checkpoint) {
        const amount = checkpoint - handled;
        const connections = Math.min(load.connections, amount);
        const summary = await loader.run({ ...load, connections, url: server.url, amount });
        if (summary.errors > 0 || summary.non2xx > 0) throw new Error(`${summary.errors} errors, ${summary.non2xx} non-2xx`);
        handled = (await server.stats()).handled;
      }
      const heap = await server.heap();
      samples.push(heap);
      log(
        `    after ${heap.handled.toLocaleString('en-US')} requests: heapUsed ${(heap.heapUsed / 1e6).toFixed(2)} MB, ` +
          `${heap.jobs.toLocaleString('en-US')} jobs ran, ${heap.activeScopes} scopes open`,
      );
    }
  } finally {
    await loader.stop();
    await server.stop();
  }
  const first = samples[0];
  const last = samples[samples.length - 1];
  const growthMb = (last.heapUsed - first.heapUsed) / 1e6;
  return [
    {
      group: 'heap',
      subject: `heapUsed after ${last.handled.toLocaleString('en-US')} requests`,
      baseline: `after ${first.handled.toLocaleString('en-US')}`,
      metric: 'MB',
      value: last.heapUsed / 1e6,
      baselineValue: first.heapUsed / 1e6,
      delta: growthMb,
      target: `≤ +${LIMIT_MB} MB`,
      pass: growthMb <= LIMIT_MB,
      notes: [
        `samples ${samples.map((s) => (s.heapUsed / 1e6).toFixed(2)).join(' → ')} MB`,
        `${last.jobs.toLocaleString('en-US')} jobs ran for ${last.handled.toLocaleString('en-US')} requests`,
        `${last.activeScopes} scopes never ended`,
      ],
    },
  ];
}
