import { Job } from '@epilogue/bus';
import { checkProgress, queueContext } from './queue-context.js';

/**
 * A job that interacts with its queue: inside `handle()` it can read `this.attempts()`, report
 * `this.progress(percent)` and decide to `this.release(delay)`, `this.delete()` or
 * `this.fail(error)`. Run any other way (`dispatchNow`, `dispatchSync` without a queue,
 * `dispatchAfterResponse`), `attempts()` is 1 and the others do nothing (their arguments are
 * still checked).
 *
 * Its queue options (`tries`, `backoff`, `timeout`, `retryUntil`, `maxExceptions`,
 * `failOnTimeout`) are plain fields, or methods for `backoff` and `retryUntil`; declare
 * `implements QueuedJobOptions` to have them checked. Only public fields travel with the job:
 * `#private` fields are not serialized, and the constructor does not run again in the worker.
 *
 * @example
 * \@ShouldQueue()
 * class ImportFeed extends QueuedJob implements QueuedJobOptions {
 *   tries = 3;
 *   backoff = [5, 30];
 *   constructor(public feedId: number) { super(); }
 *   async handle() {
 *     if (await feeds.isLocked(this.feedId)) return this.release(10);
 *     await feeds.import(this.feedId);
 *   }
 * }
 */
export abstract class QueuedJob extends Job {
  /** Which attempt this is, from 1. */
  attempts(): number {
    return queueContext(this)?.attempts ?? 1;
  }

  /**
   * Puts the job back on its queue to run again after `delaySeconds`; this attempt counts.
   *
   * @throws {InvalidJobOptionError} When `delaySeconds` is negative or not a number.
   */
  release(delaySeconds = 0): void {
    queueContext(this)?.release(delaySeconds);
  }

  /** Removes the job from its queue without failing it: it will not run again. */
  delete(): void {
    queueContext(this)?.delete();
  }

  /** Fails the job for good: its `failed()` hook runs and it goes to the failed store. */
  fail(error?: unknown): void {
    queueContext(this)?.fail(error);
  }

  /**
   * Reports how far the job got, as BullMQ's `job.updateProgress()`: a worker prints it
   * (`epilogue queue:work`) and emits it (`worker.on('progress')`), and the BullMQ driver stores
   * it on the job, where dashboards show it. Outside a worker (`dispatchNow`, after the
   * response, the sync connection) the value is checked and nothing else happens. The returned
   * promise resolves once the value is stored and never rejects, so it need not be awaited.
   *
   * @param percent - A number from 0 to 100.
   * @throws {InvalidJobProgressError} When `percent` is not a number from 0 to 100.
   * @example
   * for (const [i, row] of rows.entries()) {
   *   await importRow(row);
   *   void this.progress(((i + 1) / rows.length) * 100);
   * }
   */
  progress(percent: number): Promise<void> {
    const context = queueContext(this);
    if (context !== undefined) return context.progress(percent);
    checkProgress(this.constructor.name, percent);
    return Promise.resolve();
  }
}
