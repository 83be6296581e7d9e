import { Job } from '@epilogue/bus';
import { queueContext } from './queue-context.js';

/**
 * A job that interacts with its queue: inside `handle()` it can read `this.attempts()` and
 * decide to `this.release(delay)`, `this.delete()` or `this.fail(error)`. Run any other way
 * (`dispatchNow`, `dispatchSync` without a queue), `attempts()` is 1 and the others do nothing.
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
}
