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
export { chainFailure } from './chain-failure.js';
export type { ChainCatchJob, ChainFailure } from './chain-failure.js';
export { Dispatcher, jobName } from './dispatcher.js';
export type { QueueableJob } from './dispatcher.js';
export type { DispatchedChain } from './dispatched-chain.js';
export {
  ChainCatchNotQueueableError,
  HandlerNotFoundError,
  InvalidChainError,
  InvalidHandlerError,
  InvalidJobError,
  UnresolvableParameterError,
} from './errors.js';
export type { Handler } from './handler.js';
export { Job } from './job.js';
export type { DispatchCondition, JobResult } from './job.js';
export { JobEvents } from './job-events.js';
export type { DispatchMode, JobEventListener, JobEventMap } from './job-events.js';
export { PendingChain } from './pending-chain.js';
export type { ChainCatch, ChainCatchCallback } from './pending-chain.js';
export { PendingDispatch } from './pending-dispatch.js';
export type { ChainOptions } from './run-chain.js';
export { SyncConnection } from './queue-connection.js';
export type { PushOptions, QueueConnection, QueueConnectionResolver, QueuedChain } from './queue-connection.js';
export { isShouldQueue, queuedClasses, ShouldQueue } from './should-queue.js';
