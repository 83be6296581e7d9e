import type { Next } from '@epilogue/core';
import type { Batch } from './batch.js';

/**
 * Job middleware that skips a job of a cancelled batch: the handler does not run, and the job
 * counts as processed (it succeeded, as far as the batch is concerned). A job that belongs to no
 * batch runs as usual. The job needs a `batch()` method, as every `Job` has.
 *
 * @example
 * class ImportRow extends Job {
 *   middleware() { return [new SkipIfBatchCancelled()]; }
 *   async handle() { ... }
 * }
 */
export class SkipIfBatchCancelled {
  /** The middleware's step: asks the store whether the job's batch was cancelled. */
  async handle(job: object, next: Next<object>): Promise<unknown> {
    const read = (job as { batch?: () => Promise<Batch | undefined> }).batch;
    const batch = typeof read === 'function' ? await read.call(job) : undefined;
    if (batch?.cancelled()) return undefined;
    return next(job);
  }
}
