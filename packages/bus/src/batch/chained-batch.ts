import { autowire } from '../autowire.js';
import type { ChainOptions, QueuedChain } from '../chain/chain-options.js';
import { batchChains, isPendingBatch, type BatchCallbackKind } from './batch-entries.js';
import { BatchCallbackNotQueueableError } from './batch-errors.js';
import { Batches } from './batches.js';
import type { PendingBatch } from './pending-batch.js';

/** The options of a batch that travels as a step of a queued chain: JSON data and job instances. */
export interface ChainedBatchOptions {
  /** The batch's `name()`. */
  readonly name?: string;
  /** The batch's `onConnection()`, else the chain's. */
  readonly connection?: string;
  /** The batch's `onQueue()`, else the chain's. */
  readonly queue?: string;
  /** The batch's `allowFailures()`. */
  readonly allowFailures: boolean;
  /** The batch's `onSuccess()` jobs. */
  readonly onSuccess: readonly object[];
  /** The batch's `catch()` jobs. */
  readonly catch: readonly object[];
  /** The batch's `finally()` jobs. */
  readonly finally: readonly object[];
}

/**
 * A batch as a step of a queued chain (Laravel's `ChainedBatch`): the job the chain pushes where
 * the batch stands. When it runs, it dispatches the batch, handing it the rest of the chain,
 * which the bus dispatches once every job of the batch has run (or, when the batch was
 * cancelled, its catch jobs). The queue package registers it under `jobName`.
 */
export class ChainedBatch {
  /** The name it travels under in queue payloads. */
  static readonly jobName = 'epilogue.ChainedBatch';

  /**
   * @param jobs - The batch's jobs, each entry a chain of one or more.
   * @param batch - The batch's options.
   * @param chain - The rest of the chain, when anything follows or catches.
   */
  constructor(
    public jobs: object[][],
    public batch: ChainedBatchOptions,
    public chain?: QueuedChain,
  ) {}

  /** Dispatches the batch, with the rest of the chain. */
  async handle(batches: Batches): Promise<void> {
    await batches.dispatch(this.jobs, { ...this.batch, ...(this.chain && { chain: this.chain }) });
  }
}

autowire(Batches)(ChainedBatch.prototype, 'handle');

/**
 * A queued chain with each pending batch replaced by a `ChainedBatch` that carries the rest of
 * the chain: the jobs before the first batch, then that batch. The chain's connection and queue
 * apply to the batch's jobs that name none, when the batch names none either.
 *
 * @throws {InvalidBatchError} For a batch entry that is not a job or a list of jobs.
 * @throws {BatchCallbackNotQueueableError} For a function given to a batch's callbacks.
 */
export function foldBatches(jobs: readonly object[], options: ChainOptions & { readonly catch: readonly object[] }): object[] {
  const index = jobs.findIndex(isPendingBatch);
  if (index === -1) return [...jobs];
  const rest = foldBatches(jobs.slice(index + 1), options);
  const { connection, queue, delay } = options;
  const chain = rest.length > 0 || options.catch.length > 0 ? { jobs: rest, catch: options.catch, connection, queue, delay } : undefined;
  return [...jobs.slice(0, index), chainedBatch(jobs[index] as PendingBatch, options, chain)];
}

function chainedBatch(pending: PendingBatch, options: ChainOptions, chain: QueuedChain | undefined): ChainedBatch {
  const given = pending.options();
  const callbacks = {} as Record<BatchCallbackKind, object[]>;
  for (const kind of ['onSuccess', 'catch', 'finally'] as const) {
    callbacks[kind] = (given[kind] ?? []).map((callback) => {
      if (typeof callback === 'function') throw BatchCallbackNotQueueableError.forFunction(kind, callback);
      return callback;
    });
  }
  const connection = given.connection ?? options.connection;
  const queue = given.queue ?? options.queue;
  const batch: ChainedBatchOptions = {
    ...(given.name !== undefined && { name: given.name }),
    ...(connection !== undefined && { connection }),
    ...(queue !== undefined && { queue }),
    allowFailures: given.allowFailures === true,
    ...callbacks,
  };
  return new ChainedBatch(batchChains(pending.jobs), batch, chain);
}
