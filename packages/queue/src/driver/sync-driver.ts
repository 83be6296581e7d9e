import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { DriverClosedError, NoConsumerError } from '../errors.js';
import type { FailedJobStore } from '../failed/failed-job-store.js';
import { MemoryFailedJobStore } from '../failed/memory-failed-job-store.js';
import { deliver, failedRecord } from './deliver.js';
import type {
  ConsumeOptions,
  Consumer,
  DeliveryHandler,
  DriverPushOptions,
  PushReceipt,
  QueueDriver,
} from './queue-driver.js';

/** Options of `new SyncDriver()`. */
export interface SyncDriverOptions {
  /** Where jobs that failed for good are recorded. Default: a new `MemoryFailedJobStore`. */
  failedJobs?: FailedJobStore;
  /** Stamps failed records. Default: the system clock. */
  clock?: Clock;
}

/**
 * The `sync` driver: no storage, each job runs while it is pushed, through the same code as on
 * a worker (payload round trip, job middleware, retries, `failed()`, failed store). A released
 * or failing job is attempted again at once, ignoring backoff delays, until it succeeds or runs
 * out of attempts (at most `SYNC_MAX_ATTEMPTS` in a row when configured with
 * `configureQueues()`); then `push()` rejects with its error, as `dispatchSync()` would.
 *
 * The job runs in the dispatching scope, not a scope of its own: `defer()` inside it belongs
 * to the enclosing request or command.
 *
 * @example
 * configureQueues(app, { default: 'sync', connections: { sync: new SyncDriver() } });
 */
export class SyncDriver implements QueueDriver {
  readonly runsOnPush = true;
  readonly failedJobs: FailedJobStore;

  readonly #clock: Clock;
  #handler: DeliveryHandler | undefined;
  #closed = false;

  /** @param options - The failed store and the clock. */
  constructor(options: SyncDriverOptions = {}) {
    this.failedJobs = options.failedJobs ?? new MemoryFailedJobStore();
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Runs the job now, attempt after attempt until it completes, is deleted or fails.
   *
   * @returns Its id and what it returned.
   * @throws {NoConsumerError} When no application consumes this driver.
   * @throws {DriverClosedError} After `close()`.
   * @throws The job's own error when it failed for good (after it was recorded as failed).
   */
  async push(body: string, options: DriverPushOptions): Promise<PushReceipt> {
    if (this.#closed) throw DriverClosedError.forDriver('SyncDriver');
    const handler = this.#handler;
    if (handler === undefined) throw NoConsumerError.forDriver('SyncDriver');
    const id = options.id ?? randomUUID();
    let exceptions = 0;
    for (let attempts = 1; ; attempts++) {
      const delivery = { id, queue: options.queue, body, attempts, exceptions };
      const outcome = await deliver(handler, delivery);
      if (outcome.type === 'release') {
        exceptions = outcome.exceptions;
        continue;
      }
      if (outcome.type === 'fail') {
        await this.failedJobs.log(failedRecord(delivery, outcome.error, this.#clock.now()));
        throw outcome.error;
      }
      return { id, result: outcome.type === 'complete' ? outcome.result : undefined };
    }
  }

  /**
   * Makes `handler` the one that runs pushed jobs (there is one; a later call replaces it). The
   * queue list is ignored: the sync driver has no queues to choose from.
   */
  consume(_queues: readonly string[], handler: DeliveryHandler, _options?: ConsumeOptions): Consumer {
    this.#handler = handler;
    const stop = async () => {
      if (this.#handler === handler) this.#handler = undefined;
    };
    return { stop };
  }

  /** Always 0: nothing waits on the sync driver. */
  async size(): Promise<number> {
    return 0;
  }

  /** Always 0: nothing waits on the sync driver, so there is nothing to delete. */
  async clear(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handler = undefined;
  }
}
