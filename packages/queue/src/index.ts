/**
 * Queues for Epilogue: `dispatch()` of a `ShouldQueue` job writes a versioned JSON payload and
 * pushes it to a driver; a `Worker` takes it back, rebuilds the job from the registry of job
 * classes, and runs it in its own scope with retries, timeouts and a failed store.
 *
 * Drivers: `SyncDriver` (runs at once) and `MemoryDriver` (in this process). Job middleware
 * (`WithoutOverlapping`, `RateLimited`, `ThrottlesExceptions`) and unique jobs (`@ShouldBeUnique()`)
 * keep their locks and counters in the connection's `AtomicStore`.
 *
 * This is what an application imports. The other entry points: `@epilogue/queue/driver` (what a
 * driver implements and the helpers it uses), `@epilogue/queue/testing` (the conformance suites
 * every driver and store passes, which load `node:assert`) and `@epilogue/queue/cli` (`runCli()`,
 * the `epilogue` command).
 *
 * @module
 * @example
 * import { ShouldQueue } from '@epilogue/bus';
 * import { configureQueues, MemoryDriver, QueuedJob, Worker } from '@epilogue/queue';
 *
 * \@ShouldQueue()
 * class SendInvoice extends QueuedJob {
 *   tries = 3;
 *   backoff = [10, 60];
 *   constructor(public invoiceId: number) { super(); }
 *   async handle() { await invoices.send(this.invoiceId); }
 * }
 *
 * configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
 * await SendInvoice.dispatch(42);                 // resolves to the job's id
 * await new Worker(app, { stopWhenEmpty: true }).run();
 */
import '@epilogue/bus';

export type { AtomicStore } from './atomics/atomic-store.js';
export { MemoryAtomicStore } from './atomics/memory-atomic-store.js';
export type { MemoryAtomicStoreOptions } from './atomics/memory-atomic-store.js';
export { QueuedChains } from './chain/queued-chains.js';
export type { ChainJobPlace, QueuedChainsOptions } from './chain/queued-chains.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { configureQueues, queueManager } from './configure-queues.js';
export { MemoryDriver } from './driver/memory-driver.js';
export type { MemoryDriverOptions } from './driver/memory-driver.js';
export type { QueueDriver } from './driver/queue-driver.js';
export { SyncDriver } from './driver/sync-driver.js';
export type { SyncDriverOptions } from './driver/sync-driver.js';
export {
  DriverCapabilityError,
  DriverClosedError,
  DuplicateJobNameError,
  FailedJobNotFoundError,
  InvalidJobMiddlewareError,
  InvalidJobOptionError,
  InvalidJobProgressError,
  InvalidPayloadError,
  InvalidQueueConfigError,
  InvalidRateLimitError,
  JobMarkedFailedError,
  JobNotRegisteredError,
  JobNotSerializableError,
  JobTimedOutError,
  MaxAttemptsExceededError,
  NoConsumerError,
  RateLimiterNotFoundError,
  QueuesNotConfiguredError,
  QueueUnavailableError,
  UnknownConnectionError,
  WorkerAlreadyStartedError,
  WorkerStopTimeoutError,
} from './errors.js';
export type { PayloadRejection } from './errors.js';
export type { FailedJobRecord, FailedJobStore } from './failed/failed-job-store.js';
export { FailedJobs } from './failed/failed-jobs.js';
export { MemoryFailedJobStore } from './failed/memory-failed-job-store.js';
export type { QueuedJobOptions } from './payload/job-options.js';
export type { ChainLink, ChainPayload } from './payload/job-payload.js';
export { PAYLOAD_VERSION } from './payload/job-payload.js';
export type { JobPayload } from './payload/job-payload.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, PayloadCodec } from './payload/payload-codec.js';
export type { DecodedJob, EncodedJob, PayloadCodecOptions } from './payload/payload-codec.js';
export { RateLimited } from './middleware/rate-limited.js';
export { FailOnException } from './middleware/fail-on-exception.js';
export type { ErrorClass, ErrorPredicate } from './middleware/middleware-support.js';
export { Skip } from './middleware/skip.js';
export type { SkipCondition } from './middleware/skip.js';
export { defineRateLimit } from './middleware/rate-limits.js';
export type { RateLimit, RateLimiter, RateLimitResult } from './middleware/rate-limits.js';
export { ThrottlesExceptions } from './middleware/throttles-exceptions.js';
export { WithoutOverlapping } from './middleware/without-overlapping.js';
export { QueueEvents } from './queue-events.js';
export type { JobSkipped, QueueEventListener, QueueEventMap } from './queue-events.js';
export { QueueManager, SYNC_MAX_ATTEMPTS } from './queue-manager.js';
export type { ConnectionConfig, QueueConfig } from './queue-manager.js';
export { jobRegistry, JobRegistry, registerJobs } from './registry/job-registry.js';
export type { JobClasses } from './registry/job-registry.js';
export { isShouldBeUnique, ShouldBeUnique, ShouldBeUniqueUntilProcessing } from './unique/should-be-unique.js';
export type { UniqueJob } from './unique/should-be-unique.js';
export { queueContext } from './worker/queue-context.js';
export type { QueueContext } from './worker/queue-context.js';
export { QueuedJob } from './worker/queued-job.js';
export { STOP_WHEN_EMPTY_HORIZON_MS, Worker } from './worker/worker.js';
export type { WorkerOptions, WorkerStopReason, WorkerSummary } from './worker/worker.js';
export { WorkerEvents } from './worker/worker-events.js';
export type {
  JobFinished,
  JobProgress,
  JobStarted,
  JobStatus,
  WorkerEventListener,
  WorkerEventMap,
  WorkerWaiting,
} from './worker/worker-events.js';
