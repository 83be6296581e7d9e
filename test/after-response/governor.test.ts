// The after-response governor through the public API, over real sockets: requests are served
// before the backlog, each scope's callbacks keep their order, a throw is isolated, the stats
// add up, and beyond maxPending queueable jobs go to a real Redis queue exactly once.
import { Job, ShouldQueue } from '@epilogue/bus';
import { Application, currentScope, defer, InvalidAfterResponseOptionError, type ErrorContext, type Scope } from '@epilogue/core';
import { BullMQDriver } from '@epilogue/bullmq';
import { createRequestListener } from '@epilogue/node-http';
import { configureQueues, InvalidQueueConfigError, MemoryDriver, queueContext, SyncDriver, Worker } from '@epilogue/queue';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';
import { gate, tick, waitFor } from '@epilogue-internal/test-support/waits';

// Waits for `test`, named by its source in the failure.
const until = (test: () => boolean | Promise<boolean>, ms = 10_000) => waitFor(String(test), test, ms);

type Handler = Parameters<typeof createRequestListener>[1];

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function listen(app: Application, handler: Handler): Promise<string> {
  const server = createServer(createRequestListener(app, handler));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
afterAll(() => agent.destroy());

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

// Sends `burst` GET /render requests at once, then GET /plain once they were all answered.
async function runClient(url: string, burst: number): Promise<void> {
  const script = `
    const get = (path) => fetch(${JSON.stringify(url)} + path).then((response) => response.text());
    await Promise.all(Array.from({ length: ${burst} }, () => get('/render')));
    await get('/plain');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
}

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

function recording(options?: ConstructorParameters<typeof Application>[0]) {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ ...options, report: (error, context) => reports.push({ error, context }) });
  return { app, reports };
}

describe('the after-response governor', () => {
  it('serves a request that arrives while a backlog of CPU-bound jobs waits, before that backlog', async () => {
    let completed = 0;
    class Render extends Job {
      handle() {
        busy(25);
        completed++;
      }
    }
    const { app } = recording();
    let completedWhenServed = -1;
    const url = await listen(app, (request, response) => {
      if (request.url === '/render') Render.dispatchAfterResponse();
      else completedWhenServed = completed;
      response.end('ok');
    });
    // The client runs in a process of its own, so that its requests are sent on time whatever
    // this event loop is doing: twelve requests at once, then one more once they were answered.
    await runClient(url, 12);
    // The twelve jobs take ~300 ms of CPU together; the later request waited at most for the
    // one that was running (the next starts only after the loop polled for I/O), not for all.
    expect(completedWhenServed).toBeGreaterThanOrEqual(0);
    expect(completedWhenServed).toBeLessThan(6);
    await until(() => completed === 12);
    expect(app.afterResponse.stats()).toEqual({ running: 0, pending: 0, completed: 12, failed: 0, overflowed: 0 });
  });

  it('keeps each scope in order (deferred, then terminating) across scopes, runs each once, and isolates a throw', async () => {
    const { app, reports } = recording({ afterResponse: { concurrency: 4 } });
    const seen = new Map<string, string[]>();
    const note = (id: string, what: string) => seen.set(id, [...(seen.get(id) ?? []), what]);
    class Step extends Job {
      constructor(
        readonly id: string,
        readonly label: string,
      ) {
        super();
      }
      async handle() {
        await tick(Math.random() * 3);
        note(this.id, this.label);
        if (this.label === 'b' && this.id === '3') throw new Error('job b of request 3');
      }
    }
    const url = await listen(app, (request, response) => {
      const id = request.url!.slice(1);
      Step.dispatchAfterResponse(id, 'a');
      defer(async () => {
        await tick(Math.random() * 3);
        note(id, 'deferred');
      });
      Step.dispatchAfterResponse(id, 'b');
      Step.dispatchAfterResponse(id, 'c');
      response.end(id);
    });
    await Promise.all(Array.from({ length: 20 }, (_, n) => get(`${url}/${n}`)));
    await until(() => app.afterResponse.stats().completed + app.afterResponse.stats().failed === 80);
    for (let n = 0; n < 20; n++) expect(seen.get(String(n))).toEqual(['deferred', 'a', 'b', 'c']);
    expect(app.afterResponse.stats()).toEqual({ running: 0, pending: 0, completed: 79, failed: 1, overflowed: 0 });
    expect(reports).toHaveLength(1);
    expect(String(reports[0].error)).toContain('job b of request 3');
    expect(reports[0].context).toMatchObject({ phase: 'job', job: 'Step', scope: 'http', url: '/3' });
  });

  it('runs no more than `concurrency` callbacks at once, and counts the waiting ones as pending', async () => {
    const { app } = recording({ afterResponse: { concurrency: 3 } });
    const release = gate();
    let running = 0;
    let most = 0;
    const url = await listen(app, (_request, response) => {
      defer(async () => {
        running++;
        most = Math.max(most, running);
        await release.opened;
        running--;
      });
      response.end();
    });
    await Promise.all(Array.from({ length: 10 }, () => get(url)));
    await until(() => app.afterResponse.stats().running === 3);
    expect(app.afterResponse.stats()).toMatchObject({ running: 3, pending: 7, completed: 0 });
    release.open();
    await until(() => app.afterResponse.stats().completed === 10);
    expect(most).toBe(3);
    expect(app.afterResponse.stats()).toEqual({ running: 0, pending: 0, completed: 10, failed: 0, overflowed: 0 });
  });

  it('reports a backlog over maxPending at most once a second, saying what to configure, and still runs it all', async () => {
    const { app, reports } = recording({ afterResponse: { concurrency: 1, maxPending: 2 } });
    const release = gate();
    let ran = 0;
    const url = await listen(app, (_request, response) => {
      defer(async () => {
        await release.opened;
        ran++;
      });
      response.end();
    });
    await Promise.all(Array.from({ length: 8 }, () => get(url)));
    await until(() => app.afterResponse.stats().pending === 7);
    expect(app.afterResponse.overloaded).toBe(true);
    const overloaded = reports.filter((report) => (report.error as { code?: string }).code === 'E_AFTER_RESPONSE_OVERLOADED');
    expect(overloaded).toHaveLength(1);
    expect(String(overloaded[0].error)).toContain('Set afterResponse.overflow to a queue connection');
    release.open();
    await until(() => ran === 8);
    expect(app.afterResponse.overloaded).toBe(false);
  });

  it('ends a scope whose jobs all overflowed once they are pushed, not behind the backlog it skipped', async () => {
    const release = gate();
    const ranHere: number[] = [];
    @ShouldQueue()
    class Thumbnail extends Job {
      constructor(readonly n: number) {
        super();
      }
      async handle() {
        await release.opened;
        ranHere.push(this.n);
      }
    }
    const driver = new MemoryDriver();
    const { app, reports } = recording({ afterResponse: { concurrency: 1, maxPending: 2, overflow: 'memory' } });
    configureQueues(app, { default: 'memory', connections: { memory: driver } });
    const scopes: Scope[] = [];
    const url = await listen(app, (request, response) => {
      scopes.push(currentScope()!);
      Thumbnail.dispatchAfterResponse(Number(request.url!.slice(1)));
      response.end();
    });
    // One runs (held by the gate), two wait, the rest go to the queue.
    for (let n = 0; n < 8; n++) await get(`${url}/${n}`);
    await until(() => app.afterResponse.stats().overflowed === 5);
    // The last scope's only job is in the queue: its end does not wait for the three ahead of it.
    const ended = await Promise.race([scopes[7].finish(true).then(() => 'ended'), tick(2000).then(() => 'held')]);
    expect(ended).toBe('ended');
    expect(await driver.size('default')).toBe(5);
    expect(app.afterResponse.stats()).toMatchObject({ running: 1, pending: 2, overflowed: 5 });
    release.open();
    await until(() => ranHere.length === 3);
    expect(ranHere).toEqual([0, 1, 2]);
    expect(app.afterResponse.stats()).toEqual({ running: 0, pending: 0, completed: 3, failed: 0, overflowed: 5 });
    expect(reports.every((report) => (report.error as { code?: string }).code === 'E_AFTER_RESPONSE_OVERLOADED')).toBe(true);
    await driver.close();
  });

  it('rejects options out of range with a typed error that names the option', () => {
    expect(() => new Application({ afterResponse: { concurrency: 0 } })).toThrow(InvalidAfterResponseOptionError);
    expect(() => new Application({ afterResponse: { maxPending: 1.5 } })).toThrow(/afterResponse\.maxPending takes a whole number/);
    expect(() => new Application({ afterResponse: { maxLagMs: -1 } })).toThrow(/afterResponse\.maxLagMs/);
    expect(() => new Application({ afterResponse: { overflow: '' } })).toThrow(/afterResponse\.overflow/);
  });

  it('configureQueues() rejects an overflow connection that is missing or runs jobs on push', () => {
    const missing = new Application({ afterResponse: { overflow: 'redis' } });
    expect(() => configureQueues(missing, { default: 'memory', connections: { memory: new MemoryDriver() } })).toThrow(
      InvalidQueueConfigError,
    );
    expect(() => configureQueues(missing, { default: 'memory', connections: { memory: new MemoryDriver() } })).toThrow(
      /names the queue connection "redis", which is not configured \(connections: "memory"\)/,
    );
    const sync = new Application({ afterResponse: { overflow: 'sync' } });
    expect(() => configureQueues(sync, { default: 'sync', connections: { sync: new SyncDriver() } })).toThrow(
      /runs jobs when they are pushed/,
    );
  });
});

describeWithRedis('after-response overflow to a Redis queue', () => {
  let prefix: string;
  beforeEach(() => (prefix = uniquePrefix('overflow')));
  afterEach(() => deleteKeys(prefix));

  it('beyond maxPending, registered jobs go to the queue and run there; every job runs exactly once', async () => {
    const ranHere: number[] = [];
    const ranThere: number[] = [];
    const release = gate();
    @ShouldQueue()
    class SendReceipt extends Job {
      constructor(readonly n: number) {
        super();
      }
      async handle() {
        // On the worker it runs from the queue; here, after the response, it is held until the
        // test opens the gate, so that the backlog builds.
        if (queueContext(this) !== undefined) return void ranThere.push(this.n);
        await release.opened;
        ranHere.push(this.n);
      }
    }
    const driver = new BullMQDriver({ connection: REDIS, prefix });
    const { app, reports } = recording({ afterResponse: { concurrency: 4, maxPending: 20, overflow: 'redis' } });
    configureQueues(app, { default: 'redis', connections: { redis: driver } });
    // A second application runs the worker, as another machine would.
    const workerDriver = new BullMQDriver({ connection: REDIS, prefix });
    const workerApp = new Application({ report: (error) => reports.push({ error, context: { phase: 'worker' } }) });
    configureQueues(workerApp, { default: 'redis', connections: { redis: workerDriver } });
    const worker = new Worker(workerApp, { concurrency: 8 });
    const working = worker.run();
    try {
      const url = await listen(app, (request, response) => {
        SendReceipt.dispatchAfterResponse(Number(request.url!.slice(1)));
        response.end();
      });
      await Promise.all(Array.from({ length: 200 }, (_, n) => get(`${url}/${n}`)));
      await until(() => ranThere.length === app.afterResponse.stats().overflowed && ranThere.length >= 150);
      release.open();
      await until(() => ranHere.length + ranThere.length >= 200, 20_000);
      await tick(200);
      const all = [...ranHere, ...ranThere].sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 200 }, (_, n) => n));
      expect(app.afterResponse.stats()).toEqual({
        running: 0,
        pending: 0,
        completed: ranHere.length,
        failed: 0,
        overflowed: ranThere.length,
      });
      const others = reports.filter((report) => (report.error as { code?: string }).code !== 'E_AFTER_RESPONSE_OVERLOADED');
      expect(others).toEqual([]);
    } finally {
      await worker.stop();
      await working;
      await Promise.all([workerDriver.close(), driver.close()]);
    }
  }, 30_000);
});
