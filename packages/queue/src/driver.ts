/**
 * For the authors of queue drivers and stores: the contract a driver implements (`QueueDriver`,
 * its `Consumer`, the `Delivery` it hands a worker's handler and the `DeliveryOutcome` it gets
 * back), `deliver()` and `failedRecord()` for running a delivery through that handler, the
 * long-timer helpers, the `JobRunner` a driver that runs jobs itself (on threads) uses, and
 * `loadAppModule()` for a driver that loads the application in another thread or process.
 *
 * An application does not need this entry point: it imports `@epilogue/queue`. The errors a
 * driver throws (`DriverClosedError`, `QueueUnavailableError`, `InvalidQueueConfigError`, ...)
 * are there too, as an application may catch them. The conformance suites every driver and
 * store passes are in `@epilogue/queue/testing`.
 *
 * @module
 * @example
 * import { deliver, type Consumer, type DeliveryHandler, type QueueDriver } from '@epilogue/queue/driver';
 */
import '@epilogue/bus';

export type { AtomicStore, CounterState } from './atomics/atomic-store.js';
export { AppModuleError } from './cli/cli-errors.js';
export { appModulePath, loadAppModule } from './cli/load-app.js';
export type { LoadAppModuleOptions } from './cli/load-app.js';
export { deliver, failedRecord } from './driver/deliver.js';
export type {
  ConsumeOptions,
  Consumer,
  Delivery,
  DeliveryHandler,
  DeliveryOutcome,
  DriverPushOptions,
  PushReceipt,
  QueueDriver,
  WaitingJobs,
} from './driver/queue-driver.js';
export { formatException } from './failed/failed-job-store.js';
export type { FailedJobRecord, FailedJobStore } from './failed/failed-job-store.js';
export { LONGEST_TIMER_MS, setLongTimeout } from './timers.js';
export type { LongTimer } from './timers.js';
export { JobRunner } from './worker/job-runner.js';
export type { AttemptDefaults, JobRunnerOptions, LostAttempt, RunHooks, RunReport } from './worker/job-runner.js';
