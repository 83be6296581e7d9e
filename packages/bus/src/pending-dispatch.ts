import type { Application } from '@epilogue/core';
import { DispatchResult } from './dispatch-result.js';
import type { Dispatcher, QueueableJob } from './dispatcher.js';
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
    if (this.#afterResponse) return this.#dispatcher.dispatchAfterResponse(this.job) as Promise<R>;
    return this.#dispatcher.dispatch(this.job) as Promise<R>;
  }

  protected report(error: unknown): void {
    this.#app.report(error, { ...this.#app.currentScope().reportContext('dispatch'), job: jobName(this.job) });
  }
}
