// One benchmark server in its own process. argv: <benchmark module path> <server name>.
// It imports the module, starts `servers[name]()` on 127.0.0.1 and a free port, reports the port
// over IPC, and then answers the harness: CPU time used, after-response jobs run, heap after GC.
import { pathToFileURL } from 'node:url';

const [modulePath, name] = process.argv.slice(2);
const { servers } = await import(pathToFileURL(modulePath).href);
const factory = servers?.[name];
if (typeof factory !== 'function') throw new Error(`${modulePath} has no server named ${name}`);
const server = await factory();

const handlers = {
  cpu: () => ({ cpu: process.cpuUsage(), at: Number(process.hrtime.bigint() / 1000n) }),
  stats: () => ({
    jobs: server.jobs?.() ?? null,
    handled: server.handled?.() ?? null,
    activeScopes: server.app?.activeScopes ?? null,
    // Whatever else the benchmark's server reports (the overload benchmark: heap peaks, job ids).
    extra: server.extra?.() ?? null,
  }),
  heap: async () => {
    await idle(server.app);
    return heapAfterGc();
  },
  // The heap now, with whatever is in flight (for per-request retention measurements).
  heapNow: () => heapAfterGc(),
  stop: async () => {
    await server.close();
    setImmediate(() => process.exit(0));
    return {};
  },
};

async function heapAfterGc() {
  if (typeof global.gc !== 'function') throw new Error('run the server with --expose-gc');
  for (let i = 0; i < 4; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, rss } = process.memoryUsage();
  return {
    heapUsed,
    rss,
    jobs: server.jobs?.() ?? null,
    handled: server.handled?.() ?? null,
    activeScopes: server.app?.activeScopes ?? null,
  };
}

process.on('message', async ({ id, type }) => {
  try {
    process.send({ id, reply: await handlers[type]() });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, port: server.port });

// After-response work may still run when a load run ends; heap samples wait for it: until no
// scope is open, or the count of open scopes has not moved for half a second (scopes that never
// end are a leak the sample should show, not wait for).
async function idle(app) {
  if (app === undefined) return;
  let last = app.activeScopes;
  let stableSince = Date.now();
  const deadline = Date.now() + 10_000;
  while (app.activeScopes > 0 && Date.now() < deadline && Date.now() - stableSince < 500) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (app.activeScopes !== last) {
      last = app.activeScopes;
      stableSince = Date.now();
    }
  }
}
