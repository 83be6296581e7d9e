import { Application, type Next } from '@epilogue/core';
import type { AtomicStore, CounterState } from '../atomics/atomic-store.js';
import { InvalidJobMiddlewareError } from '../errors.js';
import { atomicsFor, checkSeconds, holdBack, toReleaseSeconds } from './middleware-support.js';
import { limitsFor, type RateLimit } from './rate-limits.js';

/**
 * Job middleware that runs a job only while its named rate limiter allows it (see
 * `defineRateLimit()`); over the limit, the job is put back on its queue until the window that
 * is full has ended (the attempt counts; `releaseAfter()` sets another delay), or deleted with
 * `dontRelease()`. The counters live
 * in the store of the job's connection, so on Redis a limit holds across machines.
 *
 * @example
 * defineRateLimit(app, 'backups', (job: Backup) => ({ max: 10, decaySeconds: 60, by: job.userId }));
 *
 * \@ShouldQueue()
 * class Backup extends QueuedJob {
 *   tries = 0;
 *   constructor(public userId: number) { super(); }
 *   middleware() { return [new RateLimited('backups')]; }
 *   async handle() { ... }
 * }
 */
export class RateLimited {
  readonly #name: string;
  // How a job over the limit is held back: until the full window ends, after fixed seconds, or deleted.
  #hold: 'window' | number | null = 'window';

  /**
   * @param name - The name of a limiter defined with `defineRateLimit()`; it is looked up when the job runs.
   * @throws {InvalidJobMiddlewareError} When the name is not a non-empty string.
   */
  constructor(name: string) {
    if (typeof name !== 'string' || name === '') {
      throw InvalidJobMiddlewareError.forOption('RateLimited', 'name', 'the non-empty name of a rate limiter', name);
    }
    this.#name = name;
  }

  /** Deletes a job that is over the limit, instead of putting it back. */
  dontRelease(): this {
    this.#hold = null;
    return this;
  }

  /**
   * Puts a job that is over the limit back on its queue after `seconds`, instead of when the
   * full window ends. The later of `releaseAfter()` and `dontRelease()` wins.
   *
   * @throws {InvalidJobMiddlewareError} For a negative or non-finite number.
   */
  releaseAfter(seconds: number): this {
    this.#hold = checkSeconds('RateLimited', 'releaseAfter', seconds, false);
    return this;
  }

  /**
   * Runs the job when every limit allows it, counting it in each window; otherwise holds it back.
   *
   * @returns What the rest of the pipeline returned, or `undefined` when the job was held back.
   * @throws {RateLimiterNotFoundError} When no limiter has the name.
   * @throws {InvalidRateLimitError} When the limiter returned an unusable limit.
   */
  async handle(job: object, next: Next<object>): Promise<unknown> {
    const limits = await limitsFor(Application.getInstance(), this.#name, job);
    if (limits.length === 0) return next(job);
    const full = await this.#take(atomicsFor(job), limits);
    if (full === undefined) return next(job);
    return holdBack(job, this.#hold === 'window' ? toReleaseSeconds(full.resetInMs) : this.#hold);
  }

  // With several limits, all are read before any is counted, so that a job held back by one
  // full window does not use up room in the others. The hit itself decides: of two workers
  // that both read room for one more, only one counts within the limit.
  async #take(store: AtomicStore, limits: readonly RateLimit[]): Promise<CounterState | undefined> {
    const keys = limits.map((limit, i) => `rate:${this.#name}:${i}:${limit.by ?? ''}`);
    if (limits.length > 1) {
      const states = await Promise.all(keys.map((key) => store.peek(key)));
      const full = longest(states.filter((state, i) => state.count >= limits[i].max));
      if (full !== undefined) return full;
    }
    const hits = await Promise.all(keys.map((key, i) => store.hit(key, limits[i].decaySeconds * 1000)));
    return longest(hits.filter((state, i) => state.count > limits[i].max));
  }
}

// The job comes back when every full window has ended, not just the first.
function longest(full: readonly CounterState[]): CounterState | undefined {
  return full.reduce<CounterState | undefined>((a, b) => (a === undefined || b.resetInMs > a.resetInMs ? b : a), undefined);
}
