import type { Application } from '@epilogue/core';
import { chainFailure, type ChainCatchJob } from './chain-failure.js';
import { jobName, type Dispatcher } from './dispatcher.js';
import { ChainCatchNotQueueableError, InvalidChainError, InvalidJobError } from './errors.js';
import type { ChainCatch, ChainCatchCallback } from './pending-chain.js';
import { isShouldQueue } from './should-queue.js';

/** The options of a chain, as `dispatcher.dispatchChain()` receives them from a `PendingChain`. */
export interface ChainOptions {
  /** What runs, once, when a job of the chain fails for good (see `PendingChain.catch()`). */
  readonly catch?: readonly ChainCatch[];
  /** The connection of every job that names none of its own (queued chains). */
  readonly connection?: string;
  /** The queue of every job that names none of its own (queued chains). */
  readonly queue?: string;
  /** The delay, in seconds, of every job that sets none of its own (queued chains). */
  readonly delay?: number;
}

/**
 * Dispatches a chain through `dispatcher`: to its queue connection when queues are configured
 * and any job is `ShouldQueue`, else one job after another in this process (see `PendingChain`).
 *
 * @throws {InvalidChainError} (as a rejection) For a chain without jobs or that is not a list.
 * @throws {ChainCatchNotQueueableError} (as a rejection) For a function catch on a queued chain.
 */
export async function runChain(
  dispatcher: Dispatcher,
  app: Application,
  jobs: readonly object[],
  options: ChainOptions,
): Promise<void> {
  assertJobs(jobs);
  const handlers = options.catch ?? [];
  if (dispatcher.hasQueueResolver() && jobs.some((job) => isShouldQueue(job))) {
    return toQueue(dispatcher, jobs, handlers, options);
  }
  for (const job of jobs) {
    try {
      await dispatcher.dispatchSync(job);
    } catch (error) {
      await caught(dispatcher, app, handlers, job, error);
      throw error;
    }
  }
}

async function toQueue(
  dispatcher: Dispatcher,
  [first, ...rest]: readonly object[],
  handlers: readonly ChainCatch[],
  options: ChainOptions,
): Promise<void> {
  const callback = handlers.find((handler) => typeof handler === 'function');
  if (callback !== undefined) throw ChainCatchNotQueueableError.forFunction(callback as ChainCatchCallback);
  const { connection, queue, delay } = options;
  await dispatcher.dispatchToQueue(first, { jobs: rest, catch: handlers, connection, queue, delay });
}

// Each catch handler is isolated: one that throws is reported, the next still runs, and the
// chain still rejects with the job's own error.
async function caught(
  dispatcher: Dispatcher,
  app: Application,
  handlers: readonly ChainCatch[],
  job: object,
  error: unknown,
): Promise<void> {
  const failure = chainFailure(jobName(job), error);
  for (const handler of handlers) {
    try {
      if (typeof handler === 'function') {
        await (handler as ChainCatchCallback)(error, failure);
      } else {
        (handler as ChainCatchJob).chainFailure = failure;
        await dispatcher.dispatch(handler);
      }
    } catch (catchError) {
      reportChainError(app, catchError, 'chain-catch', [job]);
    }
  }
}

/**
 * Reports a chain's failure that nobody can receive, naming its jobs.
 *
 * @param phase - `dispatch` or `chain-catch`.
 * @param jobs - The chain's jobs (or whatever was given as them).
 */
export function reportChainError(app: Application, error: unknown, phase: string, jobs: unknown): void {
  const names = Array.isArray(jobs) ? jobs.map((job: unknown) => (isObject(job) ? jobName(job) : String(job))) : [];
  app.report(error, { ...app.currentScope().reportContext(phase), job: names.join(' → ') });
}

/**
 * Checks that a chain is a non-empty list of job objects.
 *
 * @throws {InvalidChainError} For a chain without jobs or that is not a list.
 * @throws {InvalidJobError} For an entry that is not an object.
 */
export function assertJobs(jobs: unknown): asserts jobs is readonly object[] {
  if (!Array.isArray(jobs)) throw InvalidChainError.notAList(jobs);
  if (jobs.length === 0) throw InvalidChainError.empty();
  for (const job of jobs as unknown[]) if (!isObject(job)) throw InvalidJobError.forValue(job);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
