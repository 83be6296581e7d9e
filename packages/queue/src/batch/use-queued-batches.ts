import { ChainedBatch, Dispatcher, type BatchCallbackCodec, type BatchStore } from '@epilogue/bus';
import type { Application } from '@epilogue/core';
import { InvalidQueueConfigError } from '../errors.js';
import type { PayloadCodec } from '../payload/payload-codec.js';
import type { QueueManager } from '../queue-manager.js';
import { jobRegistry } from '../registry/job-registry.js';

const STORE_METHODS = ['create', 'find', 'list', 'incrementTotalJobs', 'decrementPendingJobs', 'incrementFailedJobs'];

/**
 * Writes the callback jobs of queued batches as queue payloads, so that whichever worker finishes
 * a batch builds them back exactly as it builds a queued job: from the job registry, with the
 * payload's signature checked when a signing key is configured.
 *
 * @param payloads - The queue manager's payload codec.
 */
export function batchCallbackCodec(payloads: PayloadCodec): BatchCallbackCodec {
  return {
    encode: (job) => payloads.encode(job).body,
    decode: (text) => payloads.decode(text).job,
  };
}

/**
 * Sets up the application's batches for its queues (`configureQueues()` calls it): callback jobs
 * written by the manager's codec, and the batch store: the one given, else the default
 * connection's driver's (`BullMQDriver`: Redis), else the bus's `MemoryBatchStore` as it is.
 * It also registers `ChainedBatch`, the job a queued chain pushes where a batch is a step of it.
 *
 * @throws {InvalidQueueConfigError} When `store` is not a batch store.
 */
export function useQueuedBatches(app: Application, manager: QueueManager, store: BatchStore | undefined): void {
  if (store !== undefined && !isBatchStore(store)) {
    throw InvalidQueueConfigError.because(
      `batches must be a batch store (a RedisBatchStore or a MemoryBatchStore, with ${STORE_METHODS.join(', ')}...).`,
    );
  }
  jobRegistry(app).register([ChainedBatch]);
  const batches = app.container.resolve(Dispatcher).batches;
  batches.useCallbackCodec(batchCallbackCodec(manager.payloads));
  const shared = store ?? manager.driver().batches;
  if (shared !== undefined) batches.useStore(shared);
}

function isBatchStore(value: unknown): value is BatchStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    STORE_METHODS.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  );
}
