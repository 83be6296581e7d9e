// Helpers shared by the queue tests that run jobs through a Worker: an application with a memory
// queue, and a worker running in the background.
import type { Application } from '@epilogue/core';
import {
  configureQueues,
  MemoryDriver,
  SyncDriver,
  Worker,
  type JobFinished,
  type QueueDriver,
  type WorkerOptions,
} from '@epilogue/queue';
import { recordingApp } from './app.js';

/** An application whose reporter keeps every report, with `memory` (the default) and `sync` connections. */
export function queueApp(memory: QueueDriver = new MemoryDriver()) {
  const { app, reports } = recordingApp();
  const manager = configureQueues(app, { default: 'memory', connections: { memory, sync: new SyncDriver() } });
  return { app, reports, memory, manager };
}

const started = new Set<() => Promise<void>>();

/**
 * A worker running in the background: `finished` grows as its jobs' attempts end; `stop()` stops
 * it. A test that fails before stopping its workers leaves them to `stopWorkers()`.
 */
export function startWorker(app: Application, options: WorkerOptions = {}) {
  const worker = new Worker(app, { stopTimeoutMs: 500, ...options });
  const finished: JobFinished[] = [];
  worker.on('processed', (job) => finished.push(job));
  const running = worker.run();
  const stop = async () => {
    started.delete(stop);
    await worker.stop();
    await running;
  };
  started.add(stop);
  return { worker, finished, statuses: () => finished.map((job) => job.status), stop };
}

/** Stops every worker a test started and left running; call it in `afterEach`. */
export async function stopWorkers(): Promise<void> {
  await Promise.all([...started].map((stop) => stop()));
}
