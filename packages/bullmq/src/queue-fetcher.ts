import { Worker as BullWorker, type Job, type JobJson, type WorkerOptions as BullWorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/** The BullMQ job data the driver writes: the payload text and the exceptions reported so far. */
export interface StoredData {
  /** The payload text, exactly as pushed. */
  readonly body: string;
  /** How many earlier attempts ended with an exception. */
  readonly exceptions: number;
}

/** A BullMQ job as the driver uses it. */
export type StoredJob = Job<StoredData, void, string>;

/** What a fetch brought: a job, if one was ready, and when the next delayed job is due. */
export interface Fetched {
  readonly job?: StoredJob;
  /** Milliseconds since the epoch; 0 when no delayed job is known. */
  readonly dueAt: number;
}

// BullMQ's reply to moveToActive and to a completion that fetches: the job's fields, its id, a
// rate-limit delay, and the due time of the next delayed job.
type Reply = [data: JobJson | undefined, id: string, rateLimitDelay: unknown, dueAt: unknown];

/**
 * A BullMQ worker in manual mode for one queue: it takes jobs when asked instead of running its
 * own loop, so that one consumer can prefer the jobs of one queue over another's (a BullMQ
 * worker serves one queue) while BullMQ keeps doing what it is good at: moving jobs to active
 * atomically, renewing the locks of running jobs, and putting back the jobs of a worker that
 * died (stalled-job recovery).
 */
export class QueueFetcher extends BullWorker<StoredData, void, string> {
  /**
   * @param queue - The queue's name.
   * @param options - Connection, prefix, lock and stalled-check settings.
   */
  constructor(queue: string, options: BullWorkerOptions) {
    super(queue, null, { ...options, autorun: false });
  }

  /** Starts renewing locks and checking for stalled jobs; manual mode leaves both to the caller. */
  start(): void {
    this.lockManager.start();
    this.startStalledCheckTimer().catch((error: unknown) => this.emit('error', error as Error));
  }

  /**
   * Moves the next ready job of this queue to active, without blocking; due delayed jobs are
   * promoted first.
   *
   * @param token - The lock token for the job.
   * @returns The job, or none when none is ready, and when the next delayed job is due (ms since
   *   the epoch; 0 when there is none).
   */
  async take(token: string): Promise<Fetched> {
    const [data, id, , dueAt] = (await this.backend.moveToActive(token)) as Reply;
    return this.#fetched(data, id, dueAt, token);
  }

  /**
   * Marks a running job done (it is removed), and with `fetchNext` takes the next ready job of
   * this queue in the same round trip, under the same token, as BullMQ's own worker does.
   *
   * @returns The next job, when one was asked for and was ready, and when the next delayed job
   *   is due (0 when unknown or none).
   */
  async complete(job: StoredJob, token: string, fetchNext: boolean): Promise<Fetched> {
    const next = await job.moveToCompleted(undefined, token, fetchNext);
    if (!Array.isArray(next)) return { dueAt: 0 };
    const [data, id, , dueAt] = next as Reply;
    return this.#fetched(data, id, dueAt, token);
  }

  /**
   * Moves a running job that failed for good to BullMQ's failed set, where dashboards show it
   * with `error`'s message as the failed reason and its stack; like `complete`, it can take the
   * next ready job in the same round trip. The copy is kept whatever the job was pushed with.
   */
  async fail(job: StoredJob, token: string, error: Error, fetchNext: boolean): Promise<Fetched> {
    job.opts.removeOnFail = false;
    const next: unknown = await job.moveToFailed(error, token, fetchNext);
    if (!Array.isArray(next)) return { dueAt: 0 };
    const [data, id, , dueAt] = next as Reply;
    return this.#fetched(data, id, dueAt, token);
  }

  /**
   * Makes a job taken again after it had finished (retried from a dashboard: BullMQ's
   * `job.retry()` keeps its attempt counts) a first attempt again, with new data, while this
   * consumer holds its lock.
   *
   * @param redis - A connection to the queue's Redis for the write.
   */
  async restart(job: StoredJob, data: StoredData, redis: Redis): Promise<void> {
    await redis.hset(this.toKey(job.id!), 'ats', 1, 'atm', 0, 'data', JSON.stringify(data));
    job.attemptsStarted = 1;
    job.attemptsMade = 0;
    job.data = data;
  }

  /**
   * Puts a running job back as delayed with new data, in one script that first checks the lock:
   * the job is either released with its new data or, when another worker took it over, left
   * alone (and this rejects).
   *
   * @param delayMs - How long until it is ready again.
   */
  async release(job: StoredJob, token: string, data: StoredData, delayMs: number): Promise<void> {
    await this.backend.moveToDelayed(job.id!, Date.now(), Math.max(0, delayMs), token, {
      skipAttempt: true,
      fieldsToUpdate: { data: JSON.stringify(data) },
    });
  }

  async #fetched(data: JobJson | undefined, id: string, dueAt: unknown, token: string): Promise<Fetched> {
    const job = data ? ((await this.nextJobFromJobData(data, id, token)) ?? undefined) : undefined;
    return { job, dueAt: Number(dueAt) || 0 };
  }

  /** Keeps renewing the lock of a job while it runs. */
  track(job: StoredJob, token: string): void {
    this.lockManager.trackJob(job.id!, token, job.processedOn ?? Date.now());
  }

  /** Stops renewing the lock of a job. */
  untrack(job: StoredJob): void {
    this.lockManager.untrackJob(job.id!);
  }

  /** The Redis key BullMQ adds a marker to when a job becomes ready (score 0) or is delayed (score: when). */
  get markerKey(): string {
    return this.keys.marker;
  }
}
