import type { QueuedChain } from '../chain/chain-options.js';
import type { Batch } from './batch.js';
import type { BatchCallbackFunction, BatchCatchFunction, BatchEntry } from './batch-entries.js';

/** What `onSuccess()` and `finally()` take: a job instance (everywhere), or a function (in-process batches). */
export type BatchCallback = object | BatchCallbackFunction;

/** What `catch()` takes: a job instance (everywhere), or a function (in-process batches). */
export type BatchCatch = object | BatchCatchFunction;

/** The options of a batch, as `dispatcher.dispatchBatch()` receives them from a `PendingBatch`. */
export interface BatchOptions {
  /** The batch's name. */
  readonly name?: string;
  /** The connection of every job (and callback job) that names none of its own (queued batches). */
  readonly connection?: string;
  /** The queue of every job (and callback job) that names none of its own (queued batches). */
  readonly queue?: string;
  /** Whether a failure leaves the batch running (true) or cancels it (false, the default). */
  readonly allowFailures?: boolean;
  /** Run once every job succeeded (Laravel's `then`). */
  readonly onSuccess?: readonly BatchCallback[];
  /** Run once, at the first job that failed for good. */
  readonly catch?: readonly BatchCatch[];
  /** Run once every job has run, succeeded or failed for good. */
  readonly finally?: readonly BatchCallback[];
  /**
   * The rest of a chain this batch is a step of (`bus.chain([a, bus.batch([...]), c])`): once
   * every job of the batch has run, dispatched when the batch was not cancelled; when it was,
   * its catch jobs are dispatched instead (see `PendingChain`). The bus sets it.
   */
  readonly chain?: QueuedChain;
}

/** What a `PendingBatch` needs of the bus. `Dispatcher` is one. */
export interface BatchDispatcher {
  /** Creates the batch in the store and dispatches its jobs. */
  dispatchBatch(jobs: readonly BatchEntry[], options?: BatchOptions): Promise<Batch>;
}
