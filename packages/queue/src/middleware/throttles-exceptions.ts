import type { Next } from '@epilogue/core';
import { InvalidJobMiddlewareError } from '../errors.js';
import { atomicsFor, checkKey, checkSeconds, holdBack, keyName, toReleaseSeconds } from './middleware-support.js';

const NAME = 'ThrottlesExceptions';

/**
 * Job middleware that stops running a job that keeps failing, like a circuit breaker: once
 * `maxExceptions` attempts in a row threw within a window of `decaySeconds` (starting with the
 * first of them), later attempts are put back on the queue until the window ends, without
 * running. An attempt that returns closes the circuit again.
 *
 * An attempt that throws is put back on its queue after `backoff()` seconds (0 by default)
 * instead of following the job's own `backoff`; the error is still reported and counts towards
 * `maxExceptions`, and the attempt counts towards `tries`, so give such a job a `retryUntil()`
 * rather than a small `tries`. Run without a queue, the error is thrown as usual.
 *
 * The counter is shared by every job of the class (or of the `by()` key) and lives in the store
 * of the job's connection, so on Redis it holds across machines.
 *
 * @example
 * \@ShouldQueue()
 * class CallPartnerApi extends QueuedJob {
 *   retryUntil() { return new Date(Date.now() + 30 * 60_000); }
 *   middleware() { return [new ThrottlesExceptions(10, 5 * 60).backoff(5)]; }
 *   async handle() { await partner.call(); }
 * }
 */
export class ThrottlesExceptions {
  readonly #maxExceptions: number;
  readonly #decayMs: number;
  #backoff = 0;
  #key: string | undefined;
  #when: ((error: unknown) => boolean) | undefined;

  /**
   * @param maxExceptions - How many attempts in a row may throw before the circuit opens. Default: 10.
   * @param decaySeconds - The window's length in seconds. Default: 600.
   * @throws {InvalidJobMiddlewareError} For a count that is not a whole number ≥ 1, or seconds that are not positive.
   */
  constructor(maxExceptions = 10, decaySeconds = 600) {
    if (!Number.isSafeInteger(maxExceptions) || maxExceptions < 1) {
      throw InvalidJobMiddlewareError.forOption(NAME, 'maxExceptions', 'a whole number ≥ 1', maxExceptions);
    }
    this.#maxExceptions = maxExceptions;
    this.#decayMs = checkSeconds(NAME, 'decaySeconds', decaySeconds, true) * 1000;
  }

  /**
   * Puts an attempt that threw back on its queue after `seconds`. Default: 0.
   *
   * @throws {InvalidJobMiddlewareError} For a negative or non-finite number.
   */
  backoff(seconds: number): this {
    this.#backoff = checkSeconds(NAME, 'backoff', seconds, false);
    return this;
  }

  /**
   * Counts exceptions under `key` instead of the job's class: jobs of several classes that call
   * one service can share a circuit, or one class can have a circuit per customer.
   *
   * @throws {InvalidJobMiddlewareError} When the key is not a string or a number.
   */
  by(key: string | number): this {
    this.#key = checkKey(NAME, 'by', key);
    return this;
  }

  /**
   * Counts only the errors `predicate` accepts; others are thrown on, as without this middleware.
   *
   * @throws {InvalidJobMiddlewareError} When `predicate` is not a function.
   */
  when(predicate: (error: unknown) => boolean): this {
    if (typeof predicate !== 'function') {
      throw InvalidJobMiddlewareError.forOption(NAME, 'when', 'a function of the error', predicate);
    }
    this.#when = predicate;
    return this;
  }

  /**
   * Runs the job unless the circuit is open, and counts what it throws.
   *
   * @returns What the rest of the pipeline returned, or `undefined` when the job was held back.
   * @throws What the job threw, after counting it.
   */
  async handle(job: object, next: Next<object>): Promise<unknown> {
    const store = atomicsFor(job);
    const key = this.#key === undefined ? `throttle:${keyName(job)}` : `throttle::${this.#key}`;
    const state = await store.peek(key);
    if (state.count >= this.#maxExceptions) return holdBack(job, toReleaseSeconds(state.resetInMs));
    let result: unknown;
    try {
      result = await next(job);
    } catch (error) {
      if (this.#when !== undefined && !this.#when(error)) throw error;
      await store.hit(key, this.#decayMs);
      holdBack(job, this.#backoff);
      throw error;
    }
    await store.clear(key);
    return result;
  }
}
