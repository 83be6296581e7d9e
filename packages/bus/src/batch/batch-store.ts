/**
 * A batch as a `BatchStore` holds it: plain data, the same in every store. Times are milliseconds
 * since the epoch.
 */
export interface BatchRecord {
  /** The batch's id (a UUID). */
  readonly id: string;
  /** The name given with `name()`, or `''`. */
  readonly name: string;
  /** How many jobs were added to the batch, chained jobs included. */
  readonly totalJobs: number;
  /** How many jobs have not succeeded yet. A job that failed stays pending (as in Laravel). */
  readonly pendingJobs: number;
  /** How many times a job of the batch failed for good. */
  readonly failedJobs: number;
  /** The ids of the jobs that failed for good and have not succeeded since (on a retry). */
  readonly failedJobIds: readonly string[];
  /** What the bus keeps with the batch (callbacks, connection, queue...): JSON data. */
  readonly options: Readonly<Record<string, unknown>>;
  /** When the batch was created. */
  readonly createdAt: number;
  /** When the batch was cancelled, or null. */
  readonly cancelledAt: number | null;
  /** When every job succeeded or the batch was cancelled, or null. */
  readonly finishedAt: number | null;
}

/** What `BatchStore.create()` receives. */
export interface NewBatchRecord {
  /** The batch's name, or `''`. */
  readonly name: string;
  /** JSON data kept with the batch and given back unchanged. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** The counters of a batch right after one change to them, read in the same atomic step. */
export interface BatchJobCounts {
  /** Jobs that have not succeeded yet. */
  readonly pendingJobs: number;
  /** Failures recorded so far. */
  readonly failedJobs: number;
}

/** Which batches `BatchStore.list()` returns. */
export interface BatchListOptions {
  /** At most this many; default 50. */
  readonly limit?: number;
  /** Only batches created before the batch of this id (the next page of a listing). */
  readonly after?: string;
}

/**
 * Where batches and their counters live. The memory store serves one process; a shared store
 * (such as Redis) lets every worker and web process see the same batches. Each counter change
 * must be atomic and return the counters as they are right after it: that is what makes exactly
 * one job see the last pending job go, so that `onSuccess` and `finally` run once. Every store
 * must pass the conformance suite, `describeBatchStore()` of `@epilogue/queue`.
 */
export interface BatchStore {
  /** Stores a new batch, with no jobs, and returns it with its id. */
  create(batch: NewBatchRecord): Promise<BatchRecord>;
  /** The batch of this id, or undefined. */
  find(id: string): Promise<BatchRecord | undefined>;
  /** Batches, newest first. */
  list(options?: BatchListOptions): Promise<BatchRecord[]>;
  /** Adds `count` jobs: to the total and to the pending jobs. Does nothing for an unknown id. */
  incrementTotalJobs(id: string, count: number): Promise<void>;
  /**
   * Records that the job `jobId` succeeded: one pending job fewer, and `jobId` no longer among
   * the failed ones. The failure count is unchanged.
   *
   * @returns The counters right after, or undefined for an unknown batch.
   */
  decrementPendingJobs(id: string, jobId: string): Promise<BatchJobCounts | undefined>;
  /**
   * Records that the job `jobId` failed for good: one failure more, `jobId` among the failed
   * ones. The pending count is unchanged.
   *
   * @returns The counters right after, or undefined for an unknown batch.
   */
  incrementFailedJobs(id: string, jobId: string): Promise<BatchJobCounts | undefined>;
  /** Sets `finishedAt` to now, when it is not set yet. */
  markAsFinished(id: string): Promise<void>;
  /** Sets `cancelledAt` (and `finishedAt`, when not set) to now, when the batch is not cancelled yet. */
  cancel(id: string): Promise<void>;
  /** Deletes a batch; an unknown id is not an error. */
  delete(id: string): Promise<void>;
  /**
   * Deletes the finished batches whose `finishedAt` is before `before`; with `unfinished`, also
   * the unfinished batches created before it.
   *
   * @returns How many were deleted.
   */
  prune(before: number, options?: { readonly unfinished?: boolean }): Promise<number>;
  /**
   * Deletes the unfinished batches (`finishedAt` null) created before `before` (Laravel's
   * `pruneUnfinished`): batches that will not finish, such as one whose chain stopped.
   *
   * @returns How many were deleted.
   */
  pruneUnfinished(before: number): Promise<number>;
  /**
   * Deletes the cancelled batches created before `before` (Laravel's `pruneCancelled`).
   *
   * @returns How many were deleted.
   */
  pruneCancelled(before: number): Promise<number>;
}
