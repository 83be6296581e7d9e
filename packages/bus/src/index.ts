/**
 * The Epilogue command bus: the `Dispatcher`, the `Job` base class with its static helpers,
 * `PendingDispatch`, chains (`PendingChain`), the `ShouldQueue` marker and the queue connection
 * contract.
 *
 * @module
 * @example
 * import { Job, autowire } from '@epilogue/bus';
 *
 * class SendWelcomeEmail extends Job {
 *   constructor(public user: User) { super(); }
 *   \@autowire(Mailer)
 *   async handle(mailer: Mailer) { await mailer.send(this.user.email, 'Welcome'); }
 * }
 *
 * SendWelcomeEmail.dispatchAfterResponse(user);
 */
import '@epilogue/core';

export { autowire } from './autowire.js';
export { Batch } from './batch/batch.js';
export type { BatchOperations } from './batch/batch.js';
export { batchChains, isPendingBatch, memberBatchId } from './batch/batch-entries.js';
export type {
  BatchableJob,
  BatchCallbackFunction,
  BatchCallbackKind,
  BatchCatchFunction,
  BatchEntry,
  Falsy,
} from './batch/batch-entries.js';
export {
  BatchCallbackNotQueueableError,
  BatchNotFoundError,
  ChainedBatchCancelledError,
  InvalidBatchError,
} from './batch/batch-errors.js';
export type { BatchCallback, BatchCatch, BatchDispatcher, BatchOptions } from './batch/batch-options.js';
export type {
  BatchJobCounts,
  BatchListOptions,
  BatchRecord,
  BatchStore,
  NewBatchRecord,
} from './batch/batch-store.js';
export { Batches } from './batch/batches.js';
export { ChainedBatch } from './batch/chained-batch.js';
export type { ChainedBatchOptions } from './batch/chained-batch.js';
export type { BatchCallbackCodec, BatchesDispatcher } from './batch/batches.js';
export { MemoryBatchStore } from './batch/memory-batch-store.js';
export type { MemoryBatchStoreOptions } from './batch/memory-batch-store.js';
export { DispatchedBatch, PendingBatch } from './batch/pending-batch.js';
export { SkipIfBatchCancelled } from './batch/skip-if-batch-cancelled.js';
export { attachChainControl } from './chain/chain-control.js';
export type { ChainControl } from './chain/chain-control.js';
export { chainFailure } from './chain/chain-failure.js';
export type { ChainCatchJob, ChainFailure } from './chain/chain-failure.js';
export type { ChainCatch, ChainCatchCallback, ChainOptions, ChainPlacement, QueuedChain } from './chain/chain-options.js';
export type { DispatchedChain } from './chain/dispatched-chain.js';
export { PendingChain } from './chain/pending-chain.js';
export type { Condition, ConditionalCallback } from './conditionable.js';
export { Dispatcher } from './dispatcher.js';
export type { ChainEntry, QueueableJob } from './dispatcher.js';
export {
  ChainCatchNotQueueableError,
  HandlerNotFoundError,
  InvalidChainError,
  InvalidHandlerError,
  InvalidJobError,
  NotInChainError,
  UnresolvableParameterError,
} from './errors.js';
export type { Handler } from './handler.js';
export { Job } from './job.js';
export type { DispatchCondition, JobResult } from './job.js';
export { JobEvents } from './job-events.js';
export type { DispatchMode, JobEventListener, JobEventMap } from './job-events.js';
export { jobName } from './job-value.js';
export { PendingDispatch } from './pending-dispatch.js';
export { SyncConnection } from './queue-connection.js';
export type { PushOptions, QueueConnection, QueueConnectionResolver } from './queue-connection.js';
export { isShouldQueue, queuedClasses, ShouldQueue } from './should-queue.js';
export { holdUntilCommit, wantsAfterCommit } from './transactions/after-commit.js';
export type { AfterCommitOption } from './transactions/after-commit.js';
export { transactionManagerOf, Transactions, transactionsOf, useTransactionManager } from './transactions/transactions.js';
export type { AfterCommitCallback, TransactionManager, TransactionsOptions } from './transactions/transactions.js';
