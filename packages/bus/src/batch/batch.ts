import type { BatchRecord } from './batch-store.js';
import type { BatchEntry } from './batch-entries.js';

/** What a `Batch` asks of the application's batches. */
export interface BatchOperations {
  /** Adds jobs to the batch `id`; resolves to the batch as it is then. */
  add(id: string, jobs: readonly BatchEntry[]): Promise<Batch>;
  /** Cancels the batch `id`. */
  cancel(id: string): Promise<void>;
  /** The batch `id` as the store has it now. */
  find(id: string): Promise<Batch | undefined>;
  /** Deletes the batch `id` from the store. */
  delete(id: string): Promise<void>;
}

// The counters and names are the store's fields, documented once, on `BatchRecord`.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface Batch extends Pick<BatchRecord, 'id' | 'name' | 'totalJobs' | 'pendingJobs' | 'failedJobs' | 'failedJobIds' | 'options'> {}

/**
 * A batch as it was when it was read from the store: its counters do not change afterwards; ask
 * for a new one with `fresh()` (or `bus.findBatch(id)`). It has no `then` method on purpose, so
 * that it is never mistaken for a promise; Laravel's `then` callback is `onSuccess` here.
 *
 * @example
 * const batch = await bus.findBatch(id);
 * if (batch && !batch.finished()) console.log(`${batch.progress()}%, ${batch.failedJobs} failed`);
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Batch {
  /** When the batch was created. */
  readonly createdAt: Date;
  /** When the batch was cancelled, if it was. */
  readonly cancelledAt: Date | undefined;
  /** When every job succeeded or the batch was cancelled, if so. */
  readonly finishedAt: Date | undefined;

  readonly #operations: BatchOperations;

  /**
   * @param record - The batch as the store holds it.
   * @param operations - What `add()`, `cancel()`, `fresh()` and `delete()` call.
   */
  constructor(record: BatchRecord, operations: BatchOperations) {
    const { id, name, totalJobs, pendingJobs, failedJobs, options } = record;
    Object.assign(this, { id, name, totalJobs, pendingJobs, failedJobs, failedJobIds: [...record.failedJobIds], options });
    this.createdAt = new Date(record.createdAt);
    this.cancelledAt = record.cancelledAt === null ? undefined : new Date(record.cancelledAt);
    this.finishedAt = record.finishedAt === null ? undefined : new Date(record.finishedAt);
    this.#operations = operations;
  }

  /** How many jobs have succeeded: `totalJobs - pendingJobs`. */
  processedJobs(): number {
    return this.totalJobs - this.pendingJobs;
  }

  /** The share of jobs that succeeded, as a whole percentage (0 for a batch without jobs). */
  progress(): number {
    return this.totalJobs > 0 ? Math.round((this.processedJobs() / this.totalJobs) * 100) : 0;
  }

  /**
   * Whether every job succeeded or the batch was cancelled. As in Laravel, a batch that allowed a
   * failure does not report finished, even once its `finally` callbacks ran.
   */
  finished(): boolean {
    return this.finishedAt !== undefined;
  }

  /** Whether the batch was cancelled: by `cancel()`, or by a failure without `allowFailures()`. */
  cancelled(): boolean {
    return this.cancelledAt !== undefined;
  }

  /** Whether a job failed for good. */
  hasFailures(): boolean {
    return this.failedJobs > 0;
  }

  /**
   * Adds jobs (and chains, as nested lists) to the batch: queued, for a queued batch; run now,
   * for a batch that runs in this process.
   *
   * @returns The batch as it is once they were pushed (or ran).
   * @throws {BatchNotFoundError} (as a rejection) When the batch is no longer in the store.
   * @throws {InvalidBatchError} (as a rejection) For an entry that is not a job or a list of jobs.
   */
  add(jobs: readonly BatchEntry[]): Promise<Batch> {
    return this.#operations.add(this.id, jobs);
  }

  /**
   * Cancels the batch. Its jobs are not stopped by magic: each checks `(await this.batch())?.cancelled()`
   * or uses the `SkipIfBatchCancelled` job middleware.
   */
  cancel(): Promise<void> {
    return this.#operations.cancel(this.id);
  }

  /** The batch as the store has it now, or undefined once it was deleted. */
  fresh(): Promise<Batch | undefined> {
    return this.#operations.find(this.id);
  }

  /** Deletes the batch from the store. */
  delete(): Promise<void> {
    return this.#operations.delete(this.id);
  }

  /** The batch as plain data (for logs and the command line). */
  toJSON(): Omit<BatchRecord, 'createdAt' | 'cancelledAt' | 'finishedAt'> & Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      totalJobs: this.totalJobs,
      pendingJobs: this.pendingJobs,
      processedJobs: this.processedJobs(),
      progress: this.progress(),
      failedJobs: this.failedJobs,
      failedJobIds: this.failedJobIds,
      options: this.options,
      createdAt: this.createdAt.toISOString(),
      cancelledAt: this.cancelledAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
    };
  }
}
