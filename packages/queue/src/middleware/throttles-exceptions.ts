import { Dispatcher } from '@epilogue/bus';
import { Application, type Next } from '@epilogue/core';
import { InvalidJobMiddlewareError } from '../errors.js';
import { queueContext } from '../worker/queue-context.js';
import {
  atomicsFor,
  checkKey,
  checkSeconds,
  errorMatcher,
  holdBack,
  keyName,
  toReleaseSeconds,
  type ErrorClass,
  type ErrorPredicate,
} from './middleware-support.js';

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
 * Errors `deleteWhen()` picks delete the job instead, quietly (reported only with `report()`);
 * errors `failWhen()` picks fail it for good at once. Neither counts towards the circuit.
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
  #backoff: number | ((attempts: number) => number) = 0;
  #key: string | undefined;
  #when: ((error: unknown) => boolean) | undefined;
  readonly #deleteWhen: ErrorPredicate[] = [];
  readonly #failWhen: ErrorPredicate[] = [];
  #report: ErrorPredicate | undefined;

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
   * Puts an attempt that threw back on its queue after `seconds`, or after what a function of
   * the attempt number (from 1) returns, in seconds. Default: 0.
   *
   * @example
   * new ThrottlesExceptions(5, 300).backoff((attempts) => Math.min(2 ** attempts, 60))
   * @throws {InvalidJobMiddlewareError} For a negative or non-finite number, or anything else
   *   that is not a function; a function's result is checked when it is called.
   */
  backoff(seconds: number | ((attempts: number) => number)): this {
    this.#backoff = typeof seconds === 'function' ? seconds : checkSeconds(NAME, 'backoff', seconds, false);
    return this;
  }

  /**
   * Deletes the job, quietly, when it throws an error of `match` (a class, its subclasses
   * included) or one a function `(error, job) => boolean` accepts: it is neither retried nor
   * failed, and the error is not thrown on (see `report()`). Several calls add up.
   *
   * @throws {InvalidJobMiddlewareError} When `match` is neither a class nor a function.
   */
  deleteWhen<J extends object>(match: ErrorClass | ErrorPredicate<J>): this {
    this.#deleteWhen.push(errorMatcher(NAME, 'deleteWhen', match) as ErrorPredicate);
    return this;
  }

  /**
   * Fails the job for good, at once, when it throws an error of `match` (a class, its
   * subclasses included) or one a function `(error, job) => boolean` accepts: its `failed()`
   * hook runs and it goes to the failed store, whatever tries it has left. Several calls add up.
   *
   * @throws {InvalidJobMiddlewareError} When `match` is neither a class nor a function.
   */
  failWhen<J extends object>(match: ErrorClass | ErrorPredicate<J>): this {
    this.#failWhen.push(errorMatcher(NAME, 'failWhen', match) as ErrorPredicate);
    return this;
  }

  /**
   * Sends the errors `deleteWhen()` deletes to the application's reporter (those `predicate`
   * accepts, when given), as a failed job's error is reported. The errors the middleware throws
   * on (counted, or failing the job) are reported in any case, as every failed attempt's is.
   *
   * @throws {InvalidJobMiddlewareError} When `predicate` is given and is not a function.
   */
  report<J extends object>(predicate?: ErrorPredicate<J>): this {
    if (predicate !== undefined && typeof predicate !== 'function') {
      throw InvalidJobMiddlewareError.forOption(NAME, 'report', 'a function of the error and the job', predicate);
    }
    this.#report = (predicate as ErrorPredicate | undefined) ?? (() => true);
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
   * @returns What the rest of the pipeline returned, or `undefined` when the job was held back
   *   or deleted.
   * @throws What the job threw, after counting it (or failing the job, for `failWhen()`).
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
      if (this.#deleteWhen.some((matches) => matches(error, job))) return this.#delete(job, error);
      if (this.#failWhen.some((matches) => matches(error, job))) {
        queueContext(job)?.fail(error);
        throw error;
      }
      await store.hit(key, this.#decayMs);
      holdBack(job, this.#backoffFor(job));
      throw error;
    }
    await store.clear(key);
    return result;
  }

  #delete(job: object, error: unknown): undefined {
    if (this.#report?.(error, job)) {
      const context = queueContext(job);
      const where = context && { connection: context.connection, queue: context.queue, id: context.id, attempt: context.attempts };
      Application.getInstance().make(Dispatcher).reportFailure(error, job, where);
    }
    return holdBack(job, null);
  }

  #backoffFor(job: object): number {
    const backoff = this.#backoff;
    if (typeof backoff === 'number') return backoff;
    return checkSeconds(NAME, 'backoff()', backoff(queueContext(job)?.attempts ?? 1), false);
  }
}
