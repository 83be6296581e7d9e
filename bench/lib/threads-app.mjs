// The threads row of the under-load benchmark: one module that the server imports and that
// every worker thread of the WorkerThreadsDriver loads (its `app` export), so both sides build
// the same application, with the same `CpuJob` class and the `threads` connection. A job run on
// a thread says so on a BroadcastChannel, so the server process can count the jobs that ran.
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { burn } from './cpu-work.mjs';
import { importPackage } from './paths.mjs';

const CHANNEL = 'epilogue-bench-threads-ran';

async function build(threads) {
  await import('reflect-metadata');
  const { Application } = await importPackage('core');
  const { Job, ShouldQueue } = await importPackage('bus');
  const { configureQueues } = await importPackage('queue');
  const { WorkerThreadsDriver } = await importPackage('threads');
  const ran = isMainThread ? undefined : new BroadcastChannel(CHANNEL);
  ran?.unref();
  class CpuJob extends Job {
    constructor(ms) {
      super();
      this.ms = ms;
    }
    handle() {
      burn(this.ms);
      ran?.postMessage(1);
    }
  }
  ShouldQueue()(CpuJob);
  const app = new Application({ report: (error) => console.error('[bench] reported', error) });
  const driver = new WorkerThreadsDriver({ app: new URL(import.meta.url), threads });
  configureQueues(app, { default: 'threads', connections: { threads: driver } });
  return { app, CpuJob, driver };
}

/** What each thread loads: the application, with the pool size the server chose. */
export const app = () => build(Number(process.env.BENCH_THREADS ?? 2)).then((built) => built.app);

/**
 * The server's side: the application, its job class, a count of the jobs the threads ran, and
 * a close() that stops the pool.
 *
 * @param {number} threads - Threads in the pool.
 */
export async function threadsServer(threads) {
  process.env.BENCH_THREADS = String(threads);
  const { app: application, CpuJob, driver } = await build(threads);
  let jobs = 0;
  const ran = new BroadcastChannel(CHANNEL);
  ran.onmessage = () => jobs++;
  ran.unref();
  return {
    app: application,
    CpuJob,
    jobs: () => jobs,
    close: async () => {
      ran.close();
      await driver.close();
    },
  };
}
