import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { DriverClosedError } from '../errors.js';
import type { FailedJobStore } from '../failed/failed-job-store.js';
import { MemoryFailedJobStore } from '../failed/memory-failed-job-store.js';
import { setLongTimeout, type LongTimer } from '../timers.js';
import { deliver, failedRecord } from './deliver.js';
import type {
  ConsumeOptions,
  Consumer,
  Delivery,
  DeliveryHandler,
  DeliveryOutcome,
  DriverPushOptions,
  PushReceipt,
  QueueDriver,
  WaitingJobs,
} from './queue-driver.js';

/** Options of `new MemoryDriver()`. */
export interface MemoryDriverOptions {
  /** Where jobs that failed for good are recorded. Default: a new `MemoryFailedJobStore`. */
  failedJobs?: FailedJobStore;
}

interface StoredJob {
  readonly id: string;
  readonly queue: string;
  readonly body: string;
  attempts: number;
  exceptions: number;
  availableAt: number;
}

class MemoryConsumer implements Consumer {
  readonly running = new Set<string>();
  stopping = false;
  drained = false;
  #stopped: Promise<void> | undefined;
  #resolve: (() => void) | undefined;

  constructor(
    readonly queues: readonly string[],
    readonly handler: DeliveryHandler,
    readonly options: ConsumeOptions,
    private readonly detach: (consumer: MemoryConsumer) => void,
  ) {}

  stop(): Promise<void> {
    if (this.#stopped !== undefined) return this.#stopped;
    this.stopping = true;
    this.detach(this);
    this.#stopped = new Promise((resolve) => (this.#resolve = resolve));
    this.settled();
    return this.#stopped;
  }

  /** Called whenever one of its jobs settled: resolves `stop()` once none is left. */
  settled(): void {
    if (this.stopping && this.running.size === 0) this.#resolve?.();
  }
}

/**
 * A queue in this process's memory: delayed jobs, several named queues consumed in priority
 * order, concurrency, releases and a failed store. Jobs are lost when the process ends, so it
 * suits tests, development and work that may be lost; use a Redis driver for anything else.
 *
 * @example
 * configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
 * const worker = new Worker(app, { queues: ['high', 'default'], concurrency: 4 });
 * void worker.run();
 */
export class MemoryDriver implements QueueDriver {
  readonly runsOnPush = false;
  readonly failedJobs: FailedJobStore;

  readonly #ready = new Map<string, StoredJob[]>();
  // Sorted by availableAt: the next one to become ready first.
  readonly #delayed: StoredJob[] = [];
  readonly #consumers = new Set<MemoryConsumer>();
  #timer: LongTimer | undefined;
  #timerAt = Infinity;
  #scheduled = false;
  #closed = false;

  /** @param options - The failed store. */
  constructor(options: MemoryDriverOptions = {}) {
    this.failedJobs = options.failedJobs ?? new MemoryFailedJobStore();
  }

  async push(body: string, options: DriverPushOptions): Promise<PushReceipt> {
    if (this.#closed) throw DriverClosedError.forDriver('MemoryDriver');
    const id = options.id ?? randomUUID();
    const job: StoredJob = { id, queue: options.queue, body, attempts: 0, exceptions: 0, availableAt: 0 };
    this.#enqueue(job, options.delayMs ?? 0);
    return { id };
  }

  consume(queues: readonly string[], handler: DeliveryHandler, options: ConsumeOptions): Consumer {
    // Jobs run in the async context of whoever consumes (the worker), never in that of
    // whoever happened to push the job that woke the driver up.
    const bound = AsyncResource.bind(handler);
    const consumer = new MemoryConsumer([...queues], bound, options, (c) => {
      this.#consumers.delete(c);
      this.#armTimer(); // the last consumer gone, no timer keeps the process alive
    });
    this.#consumers.add(consumer);
    this.#wake();
    return consumer;
  }

  async size(queue: string): Promise<number> {
    const delayed = this.#delayed.filter((job) => job.queue === queue).length;
    return (this.#ready.get(queue)?.length ?? 0) + delayed;
  }

  async waiting(): Promise<WaitingJobs[]> {
    const queues = new Map<string, { ready: number; delayed: number; nextDueAt?: number }>();
    const entry = (queue: string) => {
      let found = queues.get(queue);
      if (found === undefined) queues.set(queue, (found = { ready: 0, delayed: 0 }));
      return found;
    };
    for (const [queue, jobs] of this.#ready) if (jobs.length > 0) entry(queue).ready = jobs.length;
    // Sorted by availableAt: a queue's first delayed job met is its earliest.
    for (const job of this.#delayed) {
      const found = entry(job.queue);
      found.nextDueAt ??= job.availableAt;
      found.delayed++;
    }
    return [...queues].map(([queue, counts]) => ({ queue, ...counts }));
  }

  async clear(queue: string): Promise<number> {
    const ready = this.#ready.get(queue)?.length ?? 0;
    this.#ready.delete(queue);
    const kept = this.#delayed.filter((job) => job.queue !== queue);
    const delayed = this.#delayed.length - kept.length;
    this.#delayed.splice(0, this.#delayed.length, ...kept);
    this.#armTimer();
    return ready + delayed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#consumers].map((consumer) => consumer.stop()));
    this.#timer?.clear();
    this.#timer = undefined;
  }

  #enqueue(job: StoredJob, delayMs: number): void {
    if (delayMs > 0) {
      job.availableAt = Date.now() + delayMs;
      let index = this.#delayed.length;
      while (index > 0 && this.#delayed[index - 1].availableAt > job.availableAt) index--;
      this.#delayed.splice(index, 0, job);
    } else {
      this.#readyList(job.queue).push(job);
    }
    this.#wake();
  }

  #readyList(queue: string): StoredJob[] {
    let list = this.#ready.get(queue);
    if (list === undefined) this.#ready.set(queue, (list = []));
    return list;
  }

  // Deliveries start from a later turn of the event loop, so push() and consume() return
  // before any job runs, several pushes in a row are handed out in one pass, and a job that is
  // released again and again (a retryUntil with no backoff) cannot starve timers and I/O.
  #wake(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    this.#promoteDue();
    for (const consumer of this.#consumers) this.#feed(consumer);
    this.#armTimer();
  }

  #feed(consumer: MemoryConsumer): void {
    while (!consumer.stopping && consumer.running.size < consumer.options.concurrency) {
      const job = this.#take(consumer.queues);
      if (job === undefined) break;
      this.#start(consumer, job);
    }
    if (!consumer.stopping && consumer.running.size === 0 && !consumer.drained) {
      consumer.drained = true;
      try {
        consumer.options.onDrained?.();
      } catch (error) {
        consumer.options.onError?.(error);
      }
    }
  }

  #take(queues: readonly string[]): StoredJob | undefined {
    for (const queue of queues) {
      const job = this.#ready.get(queue)?.shift();
      if (job !== undefined) return job;
    }
    return undefined;
  }

  #start(consumer: MemoryConsumer, job: StoredJob): void {
    job.attempts++;
    consumer.running.add(job.id);
    consumer.drained = false;
    const delivery: Delivery = {
      id: job.id,
      queue: job.queue,
      body: job.body,
      attempts: job.attempts,
      exceptions: job.exceptions,
    };
    void deliver(consumer.handler, delivery).then((outcome) => this.#settle(consumer, job, delivery, outcome));
  }

  async #settle(consumer: MemoryConsumer, job: StoredJob, delivery: Delivery, outcome: DeliveryOutcome) {
    try {
      if (outcome.type === 'release') {
        job.exceptions = outcome.exceptions;
        this.#enqueue(job, outcome.delayMs);
      } else if (outcome.type === 'fail') {
        await this.failedJobs.log(failedRecord(delivery, outcome.error, Date.now()));
      }
    } catch (error) {
      consumer.options.onError?.(error, delivery);
    } finally {
      consumer.running.delete(job.id);
      consumer.settled();
      this.#wake();
    }
  }

  #promoteDue(): void {
    const now = Date.now();
    while (this.#delayed.length > 0 && this.#delayed[0].availableAt <= now) {
      const job = this.#delayed.shift()!;
      this.#readyList(job.queue).push(job);
    }
  }

  // One timer, for the earliest delayed job, and only while someone consumes.
  #armTimer(): void {
    const next = this.#consumers.size > 0 ? (this.#delayed[0]?.availableAt ?? Infinity) : Infinity;
    if (next === this.#timerAt) return;
    this.#timer?.clear();
    this.#timer = undefined;
    this.#timerAt = next;
    if (next === Infinity) return;
    this.#timer = setLongTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#pump();
    }, Math.max(0, next - Date.now()));
  }
}
