import { randomUUID } from 'node:crypto';
import type { BatchStore } from '@epilogue/bus';
import { DriverClosedError, InvalidQueueConfigError, QueueUnavailableError } from '@epilogue/queue';
import {
  LONGEST_TIMER_MS,
  type AtomicStore,
  type ConsumeOptions,
  type Consumer,
  type DeliveryHandler,
  type DriverPushOptions,
  type FailedJobStore,
  type PushReceipt,
  type QueueDriver,
  type WaitingJobs,
} from '@epilogue/queue/driver';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { BullMQConsumer } from './bullmq-consumer.js';
import { QueueFetcher, type StoredData } from './queue-fetcher.js';
import { RedisAtomicStore } from './redis-atomic-store.js';
import { MirroredFailedJobStore } from './mirrored-failed-job-store.js';
import { RedisBatchStore } from './redis-batch-store.js';
import { RedisFailedJobStore } from './redis-failed-job-store.js';

/** Options of `new BullMQDriver()`. */
export interface BullMQDriverOptions {
  /**
   * Where Redis is: connection options (`{ host: '127.0.0.1', port: 6379 }`) or an ioredis
   * client. The driver opens its own connections from them (blocking waits need a connection
   * each) and closes them in `close()`; a client you pass is never closed by the driver.
   */
  connection: RedisOptions | Redis;
  /**
   * The first part of every key: queues, the failed store and middleware state. Two drivers
   * with the same prefix on the same Redis share their queues. Default: `'epilogue'`.
   */
  prefix?: string;
  /**
   * How long a running job's lock lasts, in ms; BullMQ renews it at half that while the job
   * runs. A worker that dies stops renewing it, and its jobs are put back once it expired.
   * Default: 30,000.
   */
  lockDurationMs?: number;
  /** How often to look for jobs whose lock expired (their worker died), in ms. Default: 30,000. */
  stalledIntervalMs?: number;
  /**
   * The longest an idle consumer blocks before it looks at its queues again, in ms. A job
   * added wakes it at once; this only bounds how late it sees a delayed job whose marker
   * another consumer took. Default: 5,000.
   */
  blockTimeoutMs?: number;
  /**
   * How long a push (a dispatch) waits for Redis when the driver is not connected, in ms. It then
   * rejects with `QueueUnavailableError` and nothing is queued: a dispatch never waits for an
   * outage to end, and a job whose dispatch failed is not sent once Redis is back. Default: 5,000.
   */
  pushTimeoutMs?: number;
  /**
   * Where jobs that failed for good are recorded. Default: a `RedisFailedJobStore` under the
   * prefix. It is the source of truth for `queue:failed` and `queue:retry`; the driver also leaves
   * each failed job in BullMQ's failed set for dashboards, and removes that copy when the record
   * is forgotten or flushed.
   */
  failedJobs?: FailedJobStore;
  /**
   * How many completed jobs BullMQ keeps per queue (the newest), for a dashboard's completed tab.
   * Default: 0, a completed job is removed at once.
   */
  keepCompleted?: number;
}

/**
 * The Redis queue driver, on BullMQ. Jobs survive a crash of any process and can be taken by
 * workers on any machine that reaches the same Redis:
 *
 * - BullMQ moves each job to active atomically, so one worker runs it at a time, and holds a
 *   lock on it that is renewed while it runs. When a worker dies (even with SIGKILL), the lock
 *   expires and BullMQ's stalled-job check puts the job back; it runs again as a later attempt.
 * - Delays and releases are BullMQ delayed jobs. Completed jobs are removed from Redis, unless
 *   `keepCompleted` says to keep the newest.
 * - Failed jobs are kept in Redis (`RedisFailedJobStore`), so every machine sees the same ones,
 *   and in BullMQ's failed set, so that a dashboard on BullMQ (bull-board) shows, retries and
 *   cleans them: see docs/dashboard.md.
 * - The locks and counters of `WithoutOverlapping`, `RateLimited`, `ThrottlesExceptions` and
 *   unique jobs are kept in Redis (`RedisAtomicStore`), so the limits hold across machines.
 * - Job batches are kept in Redis (`RedisBatchStore`), so that workers on every machine count
 *   the jobs of one batch together and any process finds a batch by id.
 *
 * @example
 * configureQueues(app, {
 *   default: 'redis',
 *   connections: { redis: new BullMQDriver({ connection: { host: '127.0.0.1', port: 6379 } }) },
 * });
 */
export class BullMQDriver implements QueueDriver {
  readonly runsOnPush = false;
  readonly failedJobs: FailedJobStore;
  /** Locks and counters of job middleware and unique jobs, in Redis: they hold across machines. */
  readonly atomics: AtomicStore;
  /**
   * Job batches, in Redis under the prefix (`RedisBatchStore`): `configureQueues()` keeps the
   * application's batches here when this driver's connection is the default one.
   */
  readonly batches: BatchStore;
  /** The key prefix. */
  readonly prefix: string;

  readonly #connection: RedisOptions | Redis;
  readonly #options: Required<
    Pick<
      BullMQDriverOptions,
      'lockDurationMs' | 'stalledIntervalMs' | 'blockTimeoutMs' | 'pushTimeoutMs' | 'keepCompleted'
    >
  >;
  readonly #queues = new Map<string, Queue<StoredData, void, string>>();
  readonly #consumers = new Set<BullMQConsumer>();
  readonly #client: Redis;
  // The producers' connection, shared by every queue's `add`. Without an offline queue, a
  // command sent while it is down fails at once instead of waiting to be sent on reconnection.
  readonly #producer: Redis;
  #lastError: Error | undefined;
  // While the producers' connection is down: one promise that settles when it is ready again
  // (or rejects when the driver closes), shared by every push that waits.
  #reconnected: { promise: Promise<void>; reject(error: Error): void } | undefined;
  #closed = false;

  /**
   * @param options - Where Redis is, the key prefix, lock and stalled-check timings.
   * @throws {InvalidQueueConfigError} For options that cannot work.
   */
  constructor(options: BullMQDriverOptions) {
    checkOptions(options);
    this.#connection = options.connection;
    this.prefix = options.prefix ?? 'epilogue';
    this.#options = {
      lockDurationMs: options.lockDurationMs ?? 30_000,
      stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
      blockTimeoutMs: options.blockTimeoutMs ?? 5_000,
      pushTimeoutMs: options.pushTimeoutMs ?? 5_000,
      keepCompleted: options.keepCompleted ?? 0,
    };
    this.#client = this.#redis();
    // Without a listener ioredis prints every reconnection error; the commands that fail reject
    // with the error, which reaches whoever sent them (a dispatch, a worker's onError).
    this.#client.on('error', () => undefined);
    // Connected now even when the options say lazyConnect: a push waits for 'ready' before it
    // sends anything, so a lazy client would never connect. A command gives up after
    // pushTimeoutMs, like a push that cannot connect.
    this.#producer = this.#redis({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
      commandTimeout: this.#options.pushTimeoutMs,
    });
    this.#producer.on('error', (error: Error) => {
      this.#lastError = error;
    });
    this.#producer.on('ready', () => {
      this.#lastError = undefined;
    });
    const records = options.failedJobs ?? new RedisFailedJobStore(this.#client, this.prefix);
    this.failedJobs = new MirroredFailedJobStore(records, (name) => this.#queue(name));
    this.atomics = new RedisAtomicStore(this.#client, this.prefix);
    this.batches = new RedisBatchStore(this.#client, this.prefix);
  }

  async push(body: string, options: DriverPushOptions): Promise<PushReceipt> {
    if (this.#closed) throw DriverClosedError.forDriver('BullMQDriver');
    const id = options.id ?? randomUUID();
    if (this.#producer.status !== 'ready') await this.#connected();
    await this.#queue(options.queue).add(
      'job',
      { body, exceptions: 0 },
      {
        jobId: id,
        delay: options.delayMs ?? 0,
        removeOnComplete: this.#options.keepCompleted > 0 ? { count: this.#options.keepCompleted } : true,
        removeOnFail: false,
      },
    );
    return { id };
  }

  consume(queues: readonly string[], handler: DeliveryHandler, options: ConsumeOptions): Consumer {
    if (this.#closed) throw DriverClosedError.forDriver('BullMQDriver');
    const fetchers = queues.map(
      (queue) =>
        new QueueFetcher(queue, {
          connection: this.#bullConnection(),
          prefix: this.prefix,
          lockDuration: this.#options.lockDurationMs,
          stalledInterval: this.#options.stalledIntervalMs,
          // Attempts are counted by the queue package from BullMQ's started attempts; a job
          // that keeps killing its workers fails there, into the shared failed store, rather
          // than into BullMQ's own failed set where nobody would look.
          maxStalledCount: Number.MAX_SAFE_INTEGER,
        }),
    );
    const consumer: BullMQConsumer = new BullMQConsumer(handler, options, {
      fetchers,
      blocking: this.#redis(),
      commands: this.#client,
      failedJobs: this.failedJobs,
      blockTimeoutMs: this.#options.blockTimeoutMs,
      detach: () => this.#consumers.delete(consumer),
    });
    this.#consumers.add(consumer);
    return consumer;
  }

  async size(queue: string): Promise<number> {
    if (this.#closed) throw DriverClosedError.forDriver('BullMQDriver');
    if (this.#producer.status !== 'ready') await this.#connected();
    return this.#queue(queue).getJobCountByTypes('waiting', 'prioritized', 'delayed');
  }

  /**
   * What waits on every queue under the prefix: the queues are found by their BullMQ meta keys
   * (`<prefix>:<queue>:meta`, written with a queue's first job), then counted in one round trip.
   */
  async waiting(): Promise<WaitingJobs[]> {
    if (this.#closed) throw DriverClosedError.forDriver('BullMQDriver');
    if (this.#producer.status !== 'ready') await this.#connected();
    const head = `${this.prefix}:`;
    const queues: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.#producer.scan(cursor, 'MATCH', `${globEscape(head)}*:meta`, 'COUNT', 1000);
      for (const key of keys) queues.push(key.slice(head.length, -':meta'.length));
      cursor = next;
    } while (cursor !== '0');
    const counts = this.#producer.multi();
    for (const queue of queues) {
      const key = `${head}${queue}:`;
      counts.llen(`${key}wait`).zcard(`${key}prioritized`).zcard(`${key}delayed`).zrange(`${key}delayed`, 0, 0, 'WITHSCORES');
    }
    const replies = ((await counts.exec()) ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
    return queues.flatMap((queue, i) => {
      const [wait, prioritized, delayed, first] = replies.slice(i * 4, i * 4 + 4) as [number, number, number, string[]];
      const ready = wait + prioritized;
      if (ready + delayed === 0) return [];
      // BullMQ scores a delayed job by its due time × 0x1000 plus a counter.
      const nextDueAt = first.length === 2 ? Math.floor(Number(first[1]) / 0x1000) : undefined;
      return [{ queue, ready, delayed, ...(nextDueAt === undefined ? {} : { nextDueAt }) }];
    });
  }

  /**
   * Deletes the waiting, prioritized and delayed jobs of `queue` (those `size()` counts), with
   * BullMQ's `clean()`, whatever clock stamped them. Active jobs (locked by a worker) are left
   * alone, and so are the failed store and BullMQ's failed set.
   */
  async clear(queue: string): Promise<number> {
    if (this.#closed) throw DriverClosedError.forDriver('BullMQDriver');
    if (this.#producer.status !== 'ready') await this.#connected();
    const bull = this.#queue(queue);
    let removed = 0;
    for (const state of ['wait', 'prioritized', 'delayed'] as const) {
      removed += (await bull.clean(EVERY_JOB_GRACE_MS, 0, state)).length;
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reconnected?.reject(DriverClosedError.forDriver('BullMQDriver'));
    await Promise.all([...this.#consumers].map((consumer) => consumer.stop()));
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#queues.clear();
    await Promise.all([this.#client, this.#producer].map((client) => client.quit().catch(() => client.disconnect())));
  }

  // Waits until the producers' connection is ready, for `pushTimeoutMs` at most; rejects with
  // DriverClosedError when the driver closes meanwhile.
  async #connected(): Promise<void> {
    const timeoutMs = this.#options.pushTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(QueueUnavailableError.unreachable('BullMQDriver', this.#where(), timeoutMs, this.#lastError)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#whenReady(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) throw DriverClosedError.forDriver('BullMQDriver');
  }

  #whenReady(): Promise<void> {
    if (this.#reconnected === undefined) {
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((resolve, fail) => {
        reject = fail;
        this.#producer.once('ready', () => {
          this.#reconnected = undefined;
          resolve();
        });
      });
      // Waiters that timed out leave it unobserved.
      promise.catch(() => undefined);
      this.#reconnected = { promise, reject };
    }
    return this.#reconnected.promise;
  }

  #where(): string {
    const { host, port, path } = this.#producer.options;
    return `Redis at ${path ?? `${host ?? '127.0.0.1'}:${port ?? 6379}`}`;
  }

  #queue(name: string): Queue<StoredData, void, string> {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      // No version check: it is the only command BullMQ sends when a Queue starts, and its
      // failure during an outage would leave the Queue broken for good.
      queue = new Queue<StoredData, void, string>(name, {
        connection: this.#producer,
        prefix: this.prefix,
        skipVersionCheck: true,
      });
      // Connection errors reach the pushes that fail; without a listener BullMQ prints them.
      queue.on('error', () => undefined);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  // BullMQ reuses a client it is given and creates (and closes) its own from options.
  #bullConnection(): ConnectionOptions {
    // ioredis's option type and BullMQ's copy of it differ only in how loosely they are typed.
    const options = isRedisClient(this.#connection) ? this.#connection.options : this.#connection;
    return options as ConnectionOptions;
  }

  #redis(overrides: RedisOptions = {}): Redis {
    const options = { maxRetriesPerRequest: null, ...overrides };
    if (isRedisClient(this.#connection)) return this.#connection.duplicate(options);
    return new Redis({ ...this.#connection, ...options });
  }
}

// clean() deletes the jobs stamped before now minus the grace: a grace of minus a year takes every
// job, even one stamped by a machine whose clock runs ahead. (Far larger values match nothing.)
const EVERY_JOB_GRACE_MS = -365 * 24 * 3600_000;

// A client of any copy of ioredis: the application's own (ioredis is a peer dependency, but a
// second copy can still be installed), so not an instanceof check.
function isRedisClient(connection: RedisOptions | Redis): connection is Redis {
  const client = connection as Partial<Redis>;
  return typeof client.duplicate === 'function' && typeof client.options === 'object' && client.options !== null;
}

// A key prefix as a SCAN pattern that matches it literally.
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

function checkOptions(options: BullMQDriverOptions): void {
  const problems: string[] = [];
  if (typeof options?.connection !== 'object' || options.connection === null) {
    problems.push("connection must be Redis connection options ({ host: '127.0.0.1', port: 6379 }) or an ioredis client");
  }
  const { prefix, lockDurationMs, stalledIntervalMs, blockTimeoutMs, pushTimeoutMs } = options ?? {};
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '' || prefix.includes('::'))) {
    problems.push(`prefix must be a non-empty string without "::" (got ${JSON.stringify(prefix)})`);
  }
  for (const [name, value] of Object.entries({ lockDurationMs, stalledIntervalMs, blockTimeoutMs, pushTimeoutMs })) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0 && value <= LONGEST_TIMER_MS)) {
      problems.push(`${name} must be ms > 0 and at most ${LONGEST_TIMER_MS} (got ${value})`);
    }
  }
  const { keepCompleted } = options ?? {};
  if (keepCompleted !== undefined && !(Number.isSafeInteger(keepCompleted) && keepCompleted >= 0)) {
    problems.push(`keepCompleted must be a whole number of jobs, 0 or more (got ${keepCompleted})`);
  }
  if (problems.length > 0) throw InvalidQueueConfigError.because(`BullMQDriver options: ${problems.join('; ')}.`);
}
