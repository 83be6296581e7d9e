import type { Application } from '@epilogue/core';
import { ChainCatchNotQueueableError, InvalidChainError, InvalidJobError } from '../errors.js';
import { isJob, jobName } from '../job-value.js';
import { isShouldQueue } from '../should-queue.js';
import type { Batch } from '../batch/batch.js';
import { isPendingBatch } from '../batch/batch-entries.js';
import { ChainedBatchCancelledError } from '../batch/batch-errors.js';
import { foldBatches } from '../batch/chained-batch.js';
import type { PendingBatch } from '../batch/pending-batch.js';
import { attachChainControl, type ChainControl } from './chain-control.js';
import { runChainCatch } from './chain-catch.js';
import { chainFailure, type ChainFailure } from './chain-failure.js';
import type { ChainDispatcher } from './chain-dispatcher.js';
import type { ChainCatch, ChainCatchCallback, ChainOptions } from './chain-options.js';

export { reportChainError } from './chain-catch.js';

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
  if (dispatcher.hasQueueResolver() && jobs.some(goesToQueue)) return toQueue(dispatcher, jobs, handlers, options);
  // What is left to run; a running job may add to it (prependToChain, appendToChain).
  const remaining = [...jobs];
  const control: ChainControl = {
    prepend: (next) => remaining.unshift(next),
    append: (next) => remaining.push(next),
  };
  for (let job = remaining.shift(); job !== undefined; job = remaining.shift()) {
    if (isPendingBatch(job)) {
      await runBatchHere(dispatcher, app, job, handlers);
      continue;
    }
    attachChainControl(job, control);
    try {
      await dispatcher.dispatchSync(job);
    } catch (error) {
      await runChainCatch(dispatcher, app, handlers, chainFailure(jobName(job), error), error);
      throw error;
    } finally {
      attachChainControl(job, undefined);
    }
  }
}

// A job marked ShouldQueue, or a batch with one among its jobs, sends the whole chain to the queue.
function goesToQueue(job: object): boolean {
  if (!isPendingBatch(job)) return isShouldQueue(job);
  return job.jobs.flat().some((entry) => isJob(entry) && isShouldQueue(entry));
}

// A batch as a step of a chain in this process: it runs whole (jobs and callbacks), then the
// chain goes on unless the batch was cancelled; then the catch handlers run and the chain
// rejects with the batch's first failure (or, cancelled otherwise, ChainedBatchCancelledError).
async function runBatchHere(
  dispatcher: ChainDispatcher,
  app: Application,
  pending: PendingBatch,
  handlers: readonly ChainCatch[],
): Promise<void> {
  let first: { job: string; error: unknown } | undefined;
  const options = pending.options();
  const noteFailure = (_batch: Batch, error: unknown, failure: ChainFailure) => {
    first ??= { job: failure.job, error };
  };
  const batch = await dispatcher.dispatchBatch(pending.jobs, { ...options, catch: [...(options.catch ?? []), noteFailure] });
  if (!batch.cancelled()) return;
  const failure = first ?? { job: `batch ${batch.id}`, error: ChainedBatchCancelledError.forBatch(batch.id, batch.name) };
  await runChainCatch(dispatcher, app, handlers, chainFailure(failure.job, failure.error), failure.error);
  throw failure.error;
}

async function toQueue(
  dispatcher: ChainDispatcher,
  jobs: readonly object[],
  handlers: readonly ChainCatch[],
  options: ChainOptions,
): Promise<void> {
  const callback = handlers.find((handler) => typeof handler === 'function');
  if (callback !== undefined) throw ChainCatchNotQueueableError.forFunction(callback as ChainCatchCallback);
  const { connection, queue, delay } = options;
  const [first, ...rest] = foldBatches(jobs, { connection, queue, delay, catch: handlers as readonly object[] });
  await dispatcher.dispatchToQueue(first!, { jobs: rest, catch: handlers as readonly object[], connection, queue, delay });
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
