// The app module of a benchmark's "threads" row: a job of BENCH_CPU_JOB_MS (default 20) ms of
// synchronous work on a worker-threads connection of BENCH_THREADS (default 1) threads. The
// server imports this module; each thread of the pool loads it again, so it only builds the
// application. `ran()` counts, on the main thread, the jobs the threads finished.
//
//   const { app, CpuJob, ran } = await import('./lib/threads-app.mjs');
//   await threadsDriver(app).start();                 // threads up and the module loaded
//   createRequestListener(app, (req, res) => { void CpuJob.dispatch(); res.end(BODY); });
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { importPackage } from './paths.mjs';

const { Application } = await importPackage('core');
const { ShouldQueue } = await importPackage('bus');
const { configureQueues, queueManager, QueuedJob } = await importPackage('queue');
const { WorkerThreadsDriver } = await importPackage('threads');

export const CPU_JOB_MS = Number(process.env.BENCH_CPU_JOB_MS ?? 20);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);

const finished = new BroadcastChannel('epilogue-bench-threads-ran');
finished.unref();
let count = 0;
if (isMainThread) finished.onmessage = () => count++;

function burn(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Keeps its thread busy for CPU_JOB_MS, like rendering a small PDF. */
export class CpuJob extends QueuedJob {
  connection = 'threads';

  handle() {
    burn(CPU_JOB_MS);
    finished.postMessage(1);
  }
}
ShouldQueue()(CpuJob);

export const app = new Application({ report: (error) => console.error('[bench] reported', error) });
configureQueues(app, {
  default: 'threads',
  connections: { threads: new WorkerThreadsDriver({ app: new URL(import.meta.url), threads: THREADS }) },
});

/** How many jobs the threads finished, as seen by the main thread. */
export const ran = () => count;

/** The application's worker-threads driver (to `start()` it before measuring). */
export const threadsDriver = (application = app) => queueManager(application).driver('threads');
