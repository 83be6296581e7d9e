import type { Application } from '@epilogue/core';
import { applyCondition, type Condition, type ConditionalCallback } from './conditionable.js';
import { DispatchResult } from './dispatch-result.js';
import { withoutFalsy, type ChainEntry, type Dispatcher, type QueueableJob } from './dispatcher.js';
import { InvalidChainError } from './errors.js';
import { jobName } from './job-value.js';

/**
 * A job about to be dispatched, returned by `Job.dispatch()`. Its options chain synchronously;
 * the dispatch itself happens once, on a microtask after the current code. Await it for the
 * result. A failure nobody awaits is sent to the application's reporter, never left as an
 * unhandled rejection.
 *
 * @example
 * await ProcessPodcast.dispatch(podcast).onQueue('audio').delay(10);
 */
export class PendingDispatch<J extends object, R = unknown> extends DispatchResult<R> {
  /** The job that will be dispatched. */
  readonly job: J;

  readonly #app: Application;
  readonly #dispatcher: Dispatcher;
  #afterResponse = false;
  #chained: object[] | undefined;
  #chainConnection: string | undefined;
  #chainQueue: string | undefined;

  /**
   * @param job - The job.
   * @param dispatcher - The dispatcher that will receive it.
   * @param app - The application whose reporter receives failures nobody awaits.
   */
  constructor(job: J, dispatcher: Dispatcher, app: Application) {
    super();
    this.job = job;
    this.#dispatcher = dispatcher;
    this.#app = app;
  }

  /** Sends the job to this connection. */
  onConnection(connection: string): this {
    (this.job as QueueableJob).connection = connection;
    return this;
  }

  /** Sends the job to this queue. */
  onQueue(queue: string): this {
    (this.job as QueueableJob).queue = queue;
    return this;
  }

  /** Makes the job wait this many seconds on its queue before it may run. */
  delay(seconds: number): this {
    (this.job as QueueableJob).delay = seconds;
    return this;
  }

  /** Pushes the job without a delay, whatever its own `delay` field says (sets it to 0). */
  withoutDelay(): this {
    return this.delay(0);
  }

  /**
   * Makes the job the first of a chain: `jobs` run after it, in order, each once the one before
   * it succeeded (see `dispatcher.chain()`). Replaces a chain set before. The dispatch then
   * resolves to undefined, once the chain was pushed or has run.
   *
   * @param jobs - The jobs after this one; falsy entries are dropped.
   * @example
   * await ImportFeed.dispatch(feedId).chain([new IndexFeed(feedId), new NotifyImported(feedId)]);
   */
  chain(jobs: readonly ChainEntry[]): this {
    this.#chained = withoutFalsy(jobs);
    return this;
  }

  /** Sends the job, and every job of its chain that names no connection of its own, to this connection. */
  allOnConnection(connection: string): this {
    this.#chainConnection = connection;
    return this.onConnection(connection);
  }

  /** Sends the job, and every job of its chain that names no queue of its own, to this queue. */
  allOnQueue(queue: string): this {
    this.#chainQueue = queue;
    return this.onQueue(queue);
  }

  /**
   * Calls `callback` with this pending dispatch when `condition` is truthy, else `otherwise`
   * when given (Laravel's `Conditionable`).
   *
   * @param condition - A value, or a function of this pending dispatch that returns one.
   * @throws {InvalidCallbackError} When a callback is not a function.
   * @example
   * await SendInvoice.dispatch(id).when(urgent, (pending) => pending.onQueue('high'));
   */
  when(condition: Condition<this>, callback: ConditionalCallback<this>, otherwise?: ConditionalCallback<this>): this {
    return applyCondition(this, 'when', condition, callback, otherwise);
  }

  /** Like `when()`, with the condition reversed. */
  unless(condition: Condition<this>, callback: ConditionalCallback<this>, otherwise?: ConditionalCallback<this>): this {
    return applyCondition(this, 'unless', condition, callback, otherwise);
  }

  /**
   * Holds the job, when it is dispatched inside a database transaction, until the outermost
   * transaction commits; drops it when the transaction rolls back. It then resolves to undefined
   * at once (awaiting it inside the transaction cannot wait for the commit). Outside any
   * transaction it changes nothing. Sets the job's `afterCommit` to true.
   */
  afterCommit(): this {
    (this.job as QueueableJob).afterCommit = true;
    return this;
  }

  /** Dispatches at once even on a connection configured with `afterCommit: true` (sets `afterCommit` to false). */
  beforeCommit(): this {
    (this.job as QueueableJob).afterCommit = false;
    return this;
  }

  /** Runs the job after the response instead (as `dispatchAfterResponse`); it resolves to undefined. */
  afterResponse(): this {
    this.#afterResponse = true;
    return this;
  }

  protected start(): Promise<R> {
    if (this.#chained !== undefined) return this.#startChain(this.#chained);
    if (this.#afterResponse) return this.#dispatcher.dispatchAfterResponse(this.job) as Promise<R>;
    return this.#dispatcher.dispatch(this.job) as Promise<R>;
  }

  async #startChain(chained: readonly object[]): Promise<R> {
    if (this.#afterResponse) throw InvalidChainError.afterResponse(jobName(this.job));
    const placement = { connection: this.#chainConnection, queue: this.#chainQueue };
    await this.#dispatcher.dispatchChain([this.job, ...chained], placement);
    return undefined as R;
  }

  protected report(error: unknown): void {
    this.#app.report(error, { ...this.#app.currentScope().reportContext('dispatch'), job: jobName(this.job) });
  }
}
