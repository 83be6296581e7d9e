import type { Batch } from '../batch/batch.js';
import type { BatchEntry } from '../batch/batch-entries.js';
import type { BatchOptions } from '../batch/batch-options.js';
import type { ChainOptions, QueuedChain } from './chain-options.js';

/**
 * What a chain needs of the bus that runs it. `Dispatcher` is one; the chain files name this
 * interface instead of the class, so that the dispatcher can import them without a cycle.
 */
export interface ChainDispatcher {
  /** Queues the job when it is marked `ShouldQueue`, else runs it now. */
  dispatch(job: object): Promise<unknown>;
  /** Runs the job now, with its middleware and `failed()` hook. */
  dispatchSync(job: object): Promise<unknown>;
  /** Pushes the job, first of a chain when `chain` is given, to its queue connection. */
  dispatchToQueue(job: object, chain?: QueuedChain): Promise<unknown>;
  /** Dispatches a whole chain (what `PendingChain.dispatch()` ends in). */
  dispatchChain(jobs: readonly object[], options?: ChainOptions): Promise<void>;
  /** Creates a batch and dispatches its jobs (a batch that is a step of a chain). */
  dispatchBatch(jobs: readonly BatchEntry[], options?: BatchOptions): Promise<Batch>;
  /** Whether queues are configured: without them, a chain runs in this process. */
  hasQueueResolver(): boolean;
}
