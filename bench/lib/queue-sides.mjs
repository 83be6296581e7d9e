// The two sides of the queue benchmark, each used the way its users use it: bare BullMQ (a
// `Queue` and a `Worker` with a no-op processor) and Epilogue's `BullMQDriver` (`configureQueues`,
// a `@ShouldQueue()` job, `Job.dispatch()` and a `Worker` of @epilogue/queue). Both offer the same
// operations, so the benchmark can run them alike:
//
//   enqueue(n)          adds n no-op jobs, at most IN_FLIGHT at a time
//   drain(n)            processes the n queued jobs with a fresh worker, until all are done
//   listen() / heard()  a running worker that records each job's dispatch-to-handle latency
//   send(at)            adds one job carrying its send time `at` (for a producer process)
//   close()
//
// Both sides complete and remove each job (`removeOnComplete: true`), so Redis keeps the same
// amount of data; the driver always does, and the bare side is told to.
import { importPackage } from './paths.mjs';

/** The Redis both sides use: the local one. */
export const REDIS = { host: '127.0.0.1', port: 6379 };
/** Jobs running at once in every worker. */
export const CONCURRENCY = 50;
/** How many `add()`/`dispatch()` calls are awaited at once while enqueueing. */
export const IN_FLIGHT = 100;

const QUEUE = 'default';
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: true };

/** Milliseconds since the epoch with sub-millisecond precision, comparable between processes. */
export function wallClock() {
  return performance.timeOrigin + performance.now();
}

/**
 * Bare BullMQ under `prefix`.
 *
 * @param {{ prefix: string }} options
 */
export async function bareSide({ prefix }) {
  const { Queue, Worker } = await import('bullmq');
  const queue = new Queue(QUEUE, { connection: REDIS, prefix });
  await queue.waitUntilReady();
  let listener;

  const worker = (processor) =>
    new Worker(QUEUE, processor, { connection: REDIS, prefix, concurrency: CONCURRENCY, autorun: false });

  return {
    enqueue: (n) => inFlight(n, () => queue.add('noop', {}, JOB_OPTIONS)),
    send: (at) => queue.add('ping', { at }, JOB_OPTIONS),
    size: () => queue.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active'),

    async drain(n) {
      let completed = 0;
      let handled = 0;
      const bull = worker(async () => {
        handled++;
      });
      const done = new Promise((resolve) => bull.on('completed', () => ++completed === n && resolve()));
      bull.on('error', (error) => console.error('[bench] bare worker', error));
      void bull.run();
      await done;
      await bull.close();
      return { handled };
    },

    async listen() {
      const latencies = [];
      const bull = worker(async (job) => {
        latencies.push(wallClock() - job.data.at);
      });
      bull.on('error', (error) => console.error('[bench] bare worker', error));
      void bull.run();
      await bull.waitUntilReady();
      listener = { latencies, stop: () => bull.close() };
    },

    heard: () => listener.latencies.splice(0),

    async close() {
      await listener?.stop();
      await queue.close();
    },
  };
}

/**
 * Epilogue's BullMQDriver under `prefix`, through `configureQueues()`, `Job.dispatch()` and
 * `new Worker(app, ...)`; `driverOptions` are more options of the driver (a longer
 * `pushTimeoutMs` under valgrind, whose slowness outlasts the default).
 *
 * @param {{ prefix: string, driverOptions?: object }} options
 */
export async function driverSide({ prefix, driverOptions = {} }) {
  await import('reflect-metadata');
  const { Application } = await importPackage('core');
  const { Job, ShouldQueue } = await importPackage('bus');
  const { configureQueues, queueManager, Worker } = await importPackage('queue');
  const { BullMQDriver } = await importPackage('bullmq');

  const counts = { handled: 0 };
  let latencies = [];
  class Noop extends Job {
    handle() {
      counts.handled++;
    }
  }
  class Ping extends Job {
    constructor(at) {
      super();
      this.at = at;
    }
    handle() {
      latencies.push(wallClock() - this.at);
    }
  }
  ShouldQueue()(Noop);
  ShouldQueue()(Ping);

  const app = new Application({ report: (error) => console.error('[bench] reported', error) });
  const driver = new BullMQDriver({ connection: REDIS, prefix, ...driverOptions });
  configureQueues(app, { default: 'redis', connections: { redis: driver } });
  let listener;

  const worker = (options = {}) => new Worker(app, { connection: 'redis', concurrency: CONCURRENCY, ...options });

  return {
    enqueue: (n) => inFlight(n, () => Noop.dispatch()),
    send: (at) => Ping.dispatch(at),
    size: () => queueManager(app).size(),

    async drain(n) {
      counts.handled = 0;
      const summary = await worker({ stopWhenEmpty: true }).run();
      if (summary.jobs !== n) throw new Error(`the driver's worker ran ${summary.jobs} jobs, not ${n}`);
      return { handled: counts.handled };
    },

    async listen() {
      latencies = [];
      const running = worker();
      const ran = running.run();
      listener = { stop: () => running.stop().then(() => ran) };
    },

    heard: () => latencies.splice(0),

    async close() {
      await listener?.stop();
      await driver.close();
    },
  };
}

/** Runs `add()` n times, with at most IN_FLIGHT calls pending at once. */
async function inFlight(n, add) {
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next++;
      await add();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, lane));
}
