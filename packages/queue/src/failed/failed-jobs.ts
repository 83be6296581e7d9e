import type { QueueDriver } from '../driver/queue-driver.js';
import { FailedJobNotFoundError } from '../errors.js';
import type { PayloadCodec } from '../payload/payload-codec.js';
import type { FailedJobRecord } from './failed-job-store.js';

/**
 * The failed jobs of one connection: list, show, retry one or all, forget, flush. Get it with
 * `manager.failedJobs('redis')`.
 *
 * @example
 * const failed = queueManager(app).failedJobs();
 * for (const job of await failed.list()) console.log(job.id, job.exception.split('\n')[0]);
 * await failed.retryAll();
 */
export class FailedJobs {
  readonly #driver: QueueDriver;
  readonly #codec: PayloadCodec;

  /**
   * @param driver - The connection's driver, whose failed store this reads.
   * @param codec - Refreshes payloads before they are pushed again.
   */
  constructor(driver: QueueDriver, codec: PayloadCodec) {
    this.#driver = driver;
    this.#codec = codec;
  }

  /** Every failed job, oldest failure first. */
  list(): Promise<FailedJobRecord[]> {
    return this.#driver.failedJobs.list();
  }

  /** The failed job with this id, if any. */
  show(id: string): Promise<FailedJobRecord | undefined> {
    return this.#driver.failedJobs.find(id);
  }

  /**
   * Pushes a failed job back onto its queue, with its attempts counted from zero again (and a
   * new `retryUntil` when the job computes it in a method), and removes it from the failed store.
   *
   * @throws {FailedJobNotFoundError} When no failed job has this id.
   * @throws What the push threw; on the sync connection, the job's error when it failed again.
   */
  async retry(id: string): Promise<void> {
    const store = this.#driver.failedJobs;
    const record = await store.find(id);
    if (record === undefined) throw FailedJobNotFoundError.withId(id);
    // Forget first: a driver that runs the job at once records it again if it fails again.
    await store.forget(id);
    try {
      await this.#driver.push(this.#codec.refresh(record.payload), { id: record.id, queue: record.queue });
    } catch (error) {
      if (!this.#driver.runsOnPush) await store.log(record);
      throw error;
    }
  }

  /**
   * Retries every failed job.
   *
   * @returns How many were pushed back without error (a job that fails again at once on the
   *   sync connection is back in the failed store and not counted).
   */
  async retryAll(): Promise<number> {
    let retried = 0;
    for (const record of await this.list()) {
      try {
        await this.retry(record.id);
        retried++;
      } catch {
        // Recorded again by the driver, or still in the store: nothing is lost.
      }
    }
    return retried;
  }

  /**
   * Deletes a failed job.
   *
   * @returns Whether there was one.
   */
  forget(id: string): Promise<boolean> {
    return this.#driver.failedJobs.forget(id);
  }

  /**
   * Deletes the failed jobs that failed before a time, as \`epilogue queue:prune-failed\` does.
   *
   * @param before - The time, as a `Date` or milliseconds since the epoch: records with an
   *   earlier `failedAt` are deleted, later ones kept.
   * @returns How many were deleted.
   * @example
   * // older than a day
   * await queueManager(app).failedJobs().prune(Date.now() - 24 * 3600_000);
   */
  async prune(before: Date | number): Promise<number> {
    const cutoff = before instanceof Date ? before.getTime() : before;
    let pruned = 0;
    for (const record of await this.list()) {
      if (record.failedAt < cutoff && (await this.forget(record.id))) pruned++;
    }
    return pruned;
  }

  /**
   * Deletes every failed job of this connection.
   *
   * @returns How many there were.
   */
  flush(): Promise<number> {
    return this.#driver.failedJobs.flush();
  }
}
