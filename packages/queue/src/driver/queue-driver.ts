/**
 * The contract between the queue and a storage backend.
 *
 * ## Why `consume()` and not `pop()`
 *
 * A Laravel-style driver is pulled from: the worker loops on `pop()`, then calls `delete()` or
 * `release()` on what it got. A backend like BullMQ works the other way round: its own Worker
 * fetches jobs, holds a lock on each while it runs, renews the lock, recovers stalled jobs
 * when a process dies, and moves a job to completed, delayed or failed depending on what the
 * processor function returned or threw. Wrapping that in `pop()` would mean re-implementing
 * the locking and stalled-job recovery BullMQ already does well.
 *
 * So a worker hands the driver a handler, and the driver calls it for each job it delivers:
 * `consume(queues, handler, { concurrency })`. The handler never throws: it returns what should
 * happen to the job (a {@link DeliveryOutcome}), and the driver makes it so in its own terms
 * (BullMQ: return from the processor, `moveToDelayed`, move to failed plus a record in the
 * shared failed store). Attempts are counted by the driver, which is the only one that knows
 * about deliveries to crashed workers. A pull-based backend implements `consume()` with a loop
 * over its own pop; nothing above the driver changes.
 *
 * Drivers deal in payload text only: they never build or run jobs, so a driver needs no
 * registry, no container and no knowledge of the bus.
 *
 * @module
 */
import type { BatchStore } from '@epilogue/bus';
import type { Application } from '@epilogue/core';
import type { AtomicStore } from '../atomics/atomic-store.js';
import type { FailedJobStore } from '../failed/failed-job-store.js';

/** Where and when a payload should be delivered. */
export interface DriverPushOptions {
  /** The queue's name. */
  queue: string;
  /** The payload's id; drivers use it as the job's id where they can. A driver makes one up when absent. */
  id?: string;
  /** Milliseconds to wait before the job may be delivered; 0 or absent for at once. */
  delayMs?: number;
}

/** What `push()` resolves to. */
export interface PushReceipt {
  /** The job's id on the driver. */
  readonly id: string;
  /** For a driver that runs jobs while pushing (`runsOnPush`), what the job returned. */
  readonly result?: unknown;
}

/** One delivery of a job to a consumer. */
export interface Delivery {
  /** The job's id on the driver (the payload's id when it was pushed with one). */
  readonly id: string;
  /** The queue it came from. */
  readonly queue: string;
  /** The payload text, exactly as pushed. Untrusted: it may be anything. */
  readonly body: string;
  /** Which attempt this is: 1 for the first delivery, counting releases and lost deliveries. */
  readonly attempts: number;
  /** How many earlier attempts ended with an exception (as last reported in a `release` outcome). */
  readonly exceptions: number;
  /**
   * Stores the job's progress, a percentage from 0 to 100, where the driver keeps it (the BullMQ
   * driver: `job.updateProgress()`, which dashboards show). Called with checked values only, while
   * the attempt runs. A driver that keeps no progress leaves it out.
   */
  readonly progress?: (percent: number) => Promise<void> | void;
}

/**
 * What should happen to a delivered job, as decided by the handler.
 *
 * - `complete`: it ran; forget it. `result` is the job's return value (used by `runsOnPush` drivers).
 * - `delete`: it asked to be removed without running again; forget it.
 * - `release`: deliver it again after `delayMs`, as attempt `attempts + 1`, carrying `exceptions`.
 * - `fail`: it failed for good; record it in the driver's failed store with `error`, then forget it.
 */
export type DeliveryOutcome =
  | { readonly type: 'complete'; readonly result?: unknown }
  | { readonly type: 'delete' }
  | { readonly type: 'release'; readonly delayMs: number; readonly exceptions: number }
  | { readonly type: 'fail'; readonly error: unknown };

/**
 * Runs a delivered job and says what should happen to it. It is expected not to throw; a
 * driver treats a throw or rejection as a `fail` outcome with that error.
 */
export type DeliveryHandler = (delivery: Delivery) => Promise<DeliveryOutcome>;

/** What waits on one queue: see `QueueDriver.waiting()`. */
export interface WaitingJobs {
  /** The queue's name. */
  readonly queue: string;
  /** How many jobs are ready to run now. */
  readonly ready: number;
  /** How many wait for a time (dispatched with a delay, or released to retry after a backoff). */
  readonly delayed: number;
  /** When the earliest delayed job is due, in milliseconds since the epoch; absent when none is delayed. */
  readonly nextDueAt?: number;
}

/** Options of `consume()`. */
export interface ConsumeOptions {
  /** How many jobs may run at once for this consumer (≥ 1). */
  concurrency: number;
  /**
   * Called when this consumer has nothing to do: no job of its own is running and no job is
   * ready on its queues (delayed jobs do not count). Called again only after it received a job.
   */
  onDrained?: () => void;
  /**
   * For a driver that polls its storage: how long to wait, in milliseconds, before it looks for
   * a job again when none was ready (the BullMQ driver: the longest blocking wait, in place of its
   * `blockTimeoutMs`). A driver woken by pushes (memory) ignores it. Default: the driver's own.
   */
  sleepMs?: number;
  /**
   * Receives errors the driver could not attach to a job outcome (a failed store that could not
   * be written, a lost connection...). The driver keeps consuming.
   */
  onError?: (error: unknown, delivery?: Delivery) => void;
}

/** A running consumption, returned by `consume()`. */
export interface Consumer {
  /**
   * Stops taking jobs, then resolves once the jobs it had taken have finished and their
   * outcomes were applied. Later calls return the same promise.
   */
  stop(): Promise<void>;
}

/**
 * A queue backend. `SyncDriver` and `MemoryDriver` come with this package; every driver passes
 * `describeQueueDriver()`.
 */
export interface QueueDriver {
  /**
   * True for a driver without storage that runs each job during `push()` (sync): `push()` then
   * resolves after the job ran, with its result, and rejects with its error when it failed.
   * `configureQueues()` attaches the application as its consumer; workers are not used with it.
   */
  readonly runsOnPush: boolean;

  /** Where jobs that failed for good are recorded; the driver writes to it on `fail` outcomes. */
  readonly failedJobs: FailedJobStore;

  /**
   * Where job middleware (`WithoutOverlapping`, `RateLimited`, `ThrottlesExceptions`) and unique
   * jobs keep their locks and counters for this connection. A driver whose workers may run on
   * several machines brings a shared store (the BullMQ driver: Redis); without one, the
   * connection uses the application's `MemoryAtomicStore`, which holds within one process only.
   */
  readonly atomics?: AtomicStore;

  /**
   * Where job batches are kept when this is the default connection and `configureQueues()` is
   * given no `batches` store. A driver whose workers may run in other processes brings a shared
   * store (the BullMQ driver: a `RedisBatchStore`), so that every worker counts the jobs of a
   * batch in one place; without one, batches stay in the bus's `MemoryBatchStore`.
   */
  readonly batches?: BatchStore;

  /**
   * Called by `configureQueues()` with the application and the connection's name, once per
   * connection the driver is configured as. A driver that runs its own jobs in the process (the
   * worker-threads driver) starts consuming here and ends with the application; storage drivers
   * leave it out.
   */
  attach?(app: Application, connection: string): void;

  /**
   * Stores a payload for delivery.
   *
   * @param body - The payload text.
   * @param options - The queue, the id and the delay.
   * @returns The job's id (and, for `runsOnPush` drivers, its result).
   */
  push(body: string, options: DriverPushOptions): Promise<PushReceipt>;

  /**
   * Delivers jobs from `queues` to `handler`, at most `concurrency` at a time, and applies the
   * outcomes. Earlier queues in the list are preferred: when several have a ready job, the job
   * of the first one is delivered first. Each job is delivered to one consumer at a time.
   *
   * @returns The consumer, to stop it.
   */
  consume(queues: readonly string[], handler: DeliveryHandler, options: ConsumeOptions): Consumer;

  /** How many jobs wait on `queue`, ready or delayed (running jobs are not counted). */
  size(queue: string): Promise<number>;

  /**
   * What waits on every queue of the connection, including queues no worker takes from: one
   * entry per queue with at least one job ready or delayed (running jobs are not counted). A
   * worker uses it to say where jobs wait that it does not serve, and, with `stopWhenEmpty`, to
   * wait for a delayed job due soon. A driver that cannot list its queues leaves it out.
   */
  waiting?(): Promise<WaitingJobs[]>;

  /**
   * Deletes the jobs that wait on `queue`, ready or delayed (those `size()` counts): not the jobs
   * of other queues, not running jobs (a running job that is released later is queued again),
   * not the failed store. Optional: `manager.clear()` and `queue:clear` throw
   * `DriverCapabilityError` for a driver without it.
   *
   * @returns How many jobs it deleted.
   */
  clear?(queue: string): Promise<number>;

  /** Stops every consumer (as their `stop()` does), then releases the driver's resources. */
  close(): Promise<void>;
}
