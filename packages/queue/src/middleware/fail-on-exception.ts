import type { Next } from '@epilogue/core';
import { queueContext } from '../worker/queue-context.js';
import { errorMatcher, type ErrorClass, type ErrorPredicate } from './middleware-support.js';

/**
 * Job middleware that fails a job for good, at once, when it throws one of the given errors,
 * instead of retrying it: its `failed()` hook runs, it goes to the failed store and its chain's
 * catch jobs are dispatched, whatever `tries`, `backoff` or `retryUntil` it has left. Other
 * errors are retried as usual. The error is thrown on, so it is reported as any failed job's is.
 *
 * @example
 * \@ShouldQueue()
 * class ChargeCard extends QueuedJob {
 *   tries = 5;
 *   middleware() { return [new FailOnException([CardDeclinedError, AccountClosedError])]; }
 *   async handle() { ... }
 * }
 */
export class FailOnException<J extends object = object> {
  readonly #matches: ErrorPredicate<J>;

  /**
   * @param errors - The error classes that fail the job (instances of subclasses too), or a
   *   function `(error, job) => boolean` that says whether it should.
   * @throws {InvalidJobMiddlewareError} For an empty list, an entry that is not a class, or anything else.
   */
  constructor(errors: readonly ErrorClass[] | ErrorPredicate<J>) {
    this.#matches = errorMatcher('FailOnException', 'errors', errors);
  }

  /**
   * Runs the job; when it throws a matching error, marks it failed for good before throwing on.
   *
   * @throws What the job threw.
   */
  async handle(job: J, next: Next<J>): Promise<unknown> {
    try {
      return await next(job);
    } catch (error) {
      if (this.#matches(error, job)) queueContext(job)?.fail(error);
      throw error;
    }
  }
}
