import type { Application } from '@epilogue/core';
import { ChainCatchNotQueueableError, InvalidChainError, InvalidJobError } from '../errors.js';
import { isJob, jobName } from '../job-value.js';
import { isShouldQueue } from '../should-queue.js';
import { attachChainControl, type ChainControl } from './chain-control.js';
import { chainFailure, type ChainCatchJob } from './chain-failure.js';
import type { ChainDispatcher } from './chain-dispatcher.js';
import type { ChainCatch, ChainCatchCallback, ChainOptions } from './chain-options.js';

/**
 * Dispatches a chain through `dispatcher`: to its queue connection when queues are configured
 * and any job is `ShouldQueue`, else one job after another in this process (see `PendingChain`).
 *
 * @throws {InvalidChainError} (as a rejection) For a chain without jobs or that is not a list.
 * @throws {ChainCatchNotQueueableError} (as a rejection) For a function catch on a queued chain.
 */
export async function runChain(
  dispatcher: ChainDispatcher,
  app: Application,
  jobs: readonly object[],
  options: ChainOptions,
): Promise<void> {
  assertJobs(jobs);
  const handlers = options.catch ?? [];
  if (dispatcher.hasQueueResolver() && jobs.some((job) => isShouldQueue(job))) {
    return toQueue(dispatcher, jobs, handlers, options);
  }
  // What is left to run; a running job may add to it (prependToChain, appendToChain).
  const remaining = [...jobs];
  const control: ChainControl = {
    prepend: (next) => remaining.unshift(next),
    append: (next) => remaining.push(next),
  };
  for (let job = remaining.shift(); job !== undefined; job = remaining.shift()) {
    attachChainControl(job, control);
    try {
      await dispatcher.dispatchSync(job);
    } catch (error) {
      await caught(dispatcher, app, handlers, job, error);
      throw error;
    } finally {
      attachChainControl(job, undefined);
    }
  }
}

async function toQueue(
  dispatcher: ChainDispatcher,
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
  dispatcher: ChainDispatcher,
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
  const names = Array.isArray(jobs) ? jobs.map((job: unknown) => (isJob(job) ? jobName(job) : String(job))) : [];
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
  for (const job of jobs as unknown[]) if (!isJob(job)) throw InvalidJobError.forValue(job);
}
