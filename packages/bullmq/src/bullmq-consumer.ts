import { AsyncResource } from 'node:async_hooks';
import {
  deliver,
  failedRecord,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type DeliveryHandler,
  type DeliveryOutcome,
  type FailedJobStore,
} from '@epilogue/queue/driver';
import type { Redis } from 'ioredis';
import type { Fetched, QueueFetcher, StoredData, StoredJob } from './queue-fetcher.js';

/** What a consumer needs from its driver. */
export interface ConsumerParts {
  /** One fetcher per queue, in the order of preference. */
  readonly fetchers: readonly QueueFetcher[];
  /** A connection of its own for the blocking wait on the queues' markers. */
  readonly blocking: Redis;
  /** A connection for the few commands BullMQ has no call for. */
  readonly commands: Redis;
  /** Where jobs that failed for good are recorded. */
  readonly failedJobs: FailedJobStore;
  /** The longest a blocking wait lasts before the consumer looks at its queues again, in ms. */
  readonly blockTimeoutMs: number;
  /** Called once the consumer stopped and closed its parts. */
  readonly detach: () => void;
}

const RETRY_AFTER_ERROR_MS = 1000;

/**
 * Delivers the jobs of some BullMQ queues to a handler. One loop fills the free slots by
 * asking each queue in order of preference for a ready job; when none is, it blocks on the
 * queues' marker keys (BZPOPMIN over all of them, as a BullMQ worker does over one) until a job
 * is added, a delayed job is due, or a running job settles. BullMQ holds and renews the lock of
 * each running job; outcomes become BullMQ moves: completed (removed, or kept when the driver
 * keeps completed jobs), delayed (released), or failed after a record in the failed store (the
 * job stays in BullMQ's failed set, as a copy for dashboards).
 */
export class BullMQConsumer implements Consumer {
  readonly #handler: DeliveryHandler;
  readonly #options: ConsumeOptions;
  readonly #parts: ConsumerParts;
  readonly #running = new Set<Promise<void>>();
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #drained = false;
  #tokens = 0;
  #wake: (() => void) | undefined;
  #marker: Promise<unknown> | undefined;
  #awaitingMarker = false;
  #dueAt = Infinity;
  readonly #loop: Promise<void>;

  /**
   * @param handler - Runs each delivered job and says what to do with it.
   * @param options - Concurrency and callbacks.
   * @param parts - Fetchers, the blocking connection, the failed store.
   */
  constructor(handler: DeliveryHandler, options: ConsumeOptions, parts: ConsumerParts) {
    // Jobs run in the async context of whoever consumes (the worker).
    this.#handler = AsyncResource.bind(handler);
    this.#options = options;
    this.#parts = parts;
    for (const fetcher of parts.fetchers) {
      fetcher.on('error', (error) => this.#options.onError?.(error));
      fetcher.start();
    }
    parts.blocking.on('error', (error) => this.#options.onError?.(error));
    this.#loop = this.#run();
  }

  stop(): Promise<void> {
    if (this.#stopped !== undefined) return this.#stopped;
    this.#stopping = true;
    this.#wake?.();
    return (this.#stopped = this.#close());
  }

  async #close(): Promise<void> {
    // Ends a blocking wait at once; the loop sees `stopping` and returns.
    this.#parts.blocking.disconnect();
    await this.#loop;
    // A job that settles may have brought the next one with it: wait until none is left.
    while (this.#running.size > 0) await Promise.all(this.#running);
    await Promise.all(this.#parts.fetchers.map((fetcher) => fetcher.close()));
    this.#parts.detach();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#fill();
        if (this.#stopping) break;
        if (this.#running.size === 0 && !this.#drained) this.#drain();
        await this.#idle();
      } catch (error) {
        if (this.#stopping) break;
        this.#options.onError?.(error);
        await this.#sleep(RETRY_AFTER_ERROR_MS);
      }
    }
  }

  // Takes ready jobs, the first queue's first, until every slot is busy or none is ready.
  async #fill(): Promise<void> {
    while (!this.#stopping && this.#running.size < this.#options.concurrency) {
      const taken = await this.#takeNext();
      if (taken === undefined) return;
      this.#start(...taken);
    }
  }

  async #takeNext(): Promise<[StoredJob, string, QueueFetcher] | undefined> {
    for (const fetcher of this.#parts.fetchers) {
      if (this.#stopping) return undefined;
      const token = `${fetcher.id}:${this.#tokens++}`;
      const { job, dueAt } = await fetcher.take(token);
      this.#due(dueAt);
      if (job !== undefined) return [job, token, fetcher];
    }
    return undefined;
  }

  // BullMQ tells, with each fetch, when the queue's next delayed job is due: wake up then.
  #due(at: number): void {
    if (at > 0) this.#dueAt = Math.min(this.#dueAt, at);
  }

  // Waits until something may have changed: a marker on one of the queues (a job added, a
  // delayed job), a known delayed job due, a running job settled (a slot is free, or the
  // consumer may be drained), or stop().
  async #idle(): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.#wake = resolve));
    // Every slot busy: only a settled job can change anything. Markers are left to consumers
    // that have room.
    if (this.#running.size >= this.#options.concurrency) return woken;
    const wait = Math.min(this.#blockTimeoutMs, Math.max(0, this.#dueAt - Date.now()));
    if (wait === 0) {
      this.#dueAt = Infinity;
      this.#wake = undefined;
      return;
    }
    const marker = this.#waitForMarker();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, wait)));
    this.#awaitingMarker = true;
    try {
      await Promise.race([marker, woken, timeout]);
    } finally {
      this.#awaitingMarker = false;
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  // One BZPOPMIN at a time on the blocking connection; a wait that outlived the race it was
  // started for is reused by the next one rather than queued behind it.
  #waitForMarker(): Promise<unknown> {
    if (this.#marker !== undefined) return this.#marker;
    const keys = this.#parts.fetchers.map((fetcher) => fetcher.markerKey);
    const seconds = this.#blockTimeoutMs / 1000;
    this.#marker = this.#parts.blocking.bzpopmin(...keys, seconds).then(
      (popped) => {
        this.#marker = undefined;
        if (popped === null) return;
        const [key, member, score] = popped;
        // A marker with a score in the future announces a delayed job due then.
        this.#due(Number(score) > Date.now() ? Number(score) : 0);
        // A wait that outlived its race popped a marker the loop will not act on (it is busy,
        // full or stopping): put it back for the consumers that have room.
        if (!this.#awaitingMarker || this.#stopping || this.#running.size >= this.#options.concurrency) {
          this.#parts.blocking.zadd(key, score, member).catch((error: unknown) => this.#options.onError?.(error));
        }
      },
      (error: unknown) => {
        this.#marker = undefined;
        if (!this.#stopping) throw error;
      },
    );
    return this.#marker;
  }

  // The consumer's `sleepMs` (a worker's --sleep) in place of the driver's block timeout.
  get #blockTimeoutMs(): number {
    return this.#options.sleepMs ?? this.#parts.blockTimeoutMs;
  }

  #drain(): void {
    this.#drained = true;
    try {
      this.#options.onDrained?.();
    } catch (error) {
      this.#options.onError?.(error);
    }
  }

  #start(job: StoredJob, token: string, fetcher: QueueFetcher): void {
    this.#drained = false;
    fetcher.track(job, token);
    const settled = this.#process(job, token, fetcher).finally(() => {
      this.#running.delete(settled);
      this.#wake?.();
    });
    this.#running.add(settled);
  }

  async #process(job: StoredJob, token: string, fetcher: QueueFetcher): Promise<void> {
    try {
      // Jobs of this driver finish once (completed and removed, or failed for good): one that
      // finished before was retried from a dashboard, and runs as `queue:retry` would run it.
      if (job.attemptsMade > 0) await this.#restart(job, fetcher);
    } catch (error) {
      // Still active, and no longer renewed: the stalled-job check puts it back, and the next
      // consumer to take it tries again.
      fetcher.untrack(job);
      this.#options.onError?.(error);
      return;
    }
    const delivery = deliveryOf(job, fetcher.name);
    const outcome = await deliver(this.#handler, delivery);
    await this.#settle(job, token, fetcher, delivery, outcome);
  }

  // A first attempt again, without the exceptions of the runs before; its failed-store record
  // goes once it runs (forgetting it leaves the job alone: it is no longer in the failed set).
  async #restart(job: StoredJob, fetcher: QueueFetcher): Promise<void> {
    await fetcher.restart(job, { body: deliveryOf(job, fetcher.name).body, exceptions: 0 }, this.#parts.commands);
    await this.#parts.failedJobs.forget(job.id!);
  }

  async #settle(job: StoredJob, token: string, fetcher: QueueFetcher, delivery: Delivery, outcome: DeliveryOutcome) {
    try {
      if (outcome.type === 'release') {
        await fetcher.release(job, token, { body: delivery.body, exceptions: outcome.exceptions }, outcome.delayMs);
        return;
      }
      // Completed, deleted, or failed and recorded (and shown in BullMQ's failed set): gone
      // from the queue. A job of the first queue brings the next one of that queue back with
      // it, which is the job the consumer would take next anyway: one round trip per job
      // instead of two.
      const fetchNext = !this.#stopping && fetcher === this.#parts.fetchers[0];
      let fetched: Fetched;
      if (outcome.type === 'fail') {
        const record = failedRecord(delivery, outcome.error, Date.now());
        await this.#parts.failedJobs.log(record);
        fetched = await fetcher.fail(job, token, failedReason(outcome.error, record.exception), fetchNext);
      } else {
        fetched = await fetcher.complete(job, token, fetchNext);
      }
      const { job: next, dueAt } = fetched;
      this.#due(dueAt);
      // Taken, so it runs, even when stop() began meanwhile (stop waits for it).
      if (next !== undefined) this.#start(next, token, fetcher);
    } catch (error) {
      // The job stays active without a lock renewal: BullMQ's stalled-job check puts it back,
      // and it is delivered again as a later attempt. Nothing is lost.
      this.#options.onError?.(error, delivery);
    } finally {
      fetcher.untrack(job);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

// The job's data as the driver wrote it; anything else (a job another producer added to the
// queue) is delivered with its data as the body, which the runner refuses into the failed store.
function deliveryOf(job: StoredJob, queue: string): Delivery {
  const data = job.data as Partial<StoredData> | null | undefined;
  const body = typeof data?.body === 'string' ? data.body : String(JSON.stringify(data ?? null));
  const exceptions = Number.isSafeInteger(data?.exceptions) ? (data!.exceptions as number) : 0;
  // The job's progress is BullMQ's, which dashboards show.
  const progress = (percent: number) => job.updateProgress(percent);
  return { id: job.id!, queue, body, attempts: job.attemptsStarted, exceptions, progress };
}

// What BullMQ's failed set shows: the error's message (with its code) as the failed reason, and
// the stack as the failed store keeps it.
function failedReason(error: unknown, exception: string): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : `Non-error thrown: ${String(error)}`;
  const reason = new Error(typeof code === 'string' ? `[${code}] ${message}` : message);
  reason.stack = exception;
  return reason;
}
