/**
 * A queue driver that runs jobs on a pool of worker threads (piscina): CPU-bound work off the
 * event loop, with the queue's retries, timeouts, failed store and chains.
 *
 * @module
 * @example
 * import { WorkerThreadsDriver } from '@epilogue/threads';
 *
 * configureQueues(app, {
 *   default: 'memory',
 *   connections: {
 *     memory: new MemoryDriver(),
 *     threads: new WorkerThreadsDriver({ app: new URL(import.meta.url), threads: 2 }),
 *   },
 * });
 */
export {
  InvalidThreadsOptionError,
  JobsLeftOnCloseError,
  NotOnMainThreadError,
  ThreadCrashedError,
  ThreadModuleError,
} from './errors.js';
export { TIMEOUT_GRACE_MS, WorkerThreadsDriver } from './worker-threads-driver.js';
export type { WorkerThreadsDriverOptions } from './worker-threads-driver.js';
