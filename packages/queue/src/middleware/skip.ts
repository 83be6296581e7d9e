import type { Next } from '@epilogue/core';
import { InvalidJobMiddlewareError } from '../errors.js';

/** What `Skip.when()` and `Skip.unless()` take: a boolean, or a test of the job (it may be async). */
export type SkipCondition<J extends object = object> = boolean | ((job: J) => boolean | Promise<boolean>);

/**
 * Job middleware that skips a job: its handler does not run, and the attempt counts as done,
 * not failed. From a queue, the job completes (a chain goes on with its next job); with
 * `dispatchSync()` it resolves to `undefined`. The condition is read when the job runs, not when
 * it is dispatched, so a job can skip itself once what it was for no longer applies.
 *
 * @example
 * \@ShouldQueue()
 * class SendReminder extends QueuedJob {
 *   constructor(public invoiceId: number) { super(); }
 *   middleware() { return [Skip.when(async (job: SendReminder) => invoices.isPaid(job.invoiceId))]; }
 *   async handle() { ... }
 * }
 */
export class Skip<J extends object = object> {
  readonly #condition: SkipCondition<J>;
  readonly #skipWhen: boolean;

  private constructor(condition: SkipCondition<J>, skipWhen: boolean, method: string) {
    if (typeof condition !== 'boolean' && typeof condition !== 'function') {
      throw InvalidJobMiddlewareError.forOption('Skip', method, 'a boolean or a function of the job', condition);
    }
    this.#condition = condition;
    this.#skipWhen = skipWhen;
  }

  /**
   * Skips the job when `condition` holds.
   *
   * @param condition - A boolean, or a function of the job returning one (or a promise of one).
   * @throws {InvalidJobMiddlewareError} For anything else.
   */
  static when<J extends object = object>(condition: SkipCondition<J>): Skip<J> {
    return new Skip(condition, true, 'when');
  }

  /**
   * Skips the job unless `condition` holds.
   *
   * @param condition - A boolean, or a function of the job returning one (or a promise of one).
   * @throws {InvalidJobMiddlewareError} For anything else.
   */
  static unless<J extends object = object>(condition: SkipCondition<J>): Skip<J> {
    return new Skip(condition, false, 'unless');
  }

  /**
   * Runs the rest of the pipeline unless the job is to be skipped.
   *
   * @returns What the rest of the pipeline returned, or `undefined` when the job was skipped.
   * @throws What the condition threw (the attempt then fails as any other).
   */
  async handle(job: J, next: Next<J>): Promise<unknown> {
    const condition = this.#condition;
    const holds = typeof condition === 'boolean' ? condition : Boolean(await condition(job));
    return holds === this.#skipWhen ? undefined : next(job);
  }
}
