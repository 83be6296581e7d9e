import type { Application } from '@epilogue/core';
import { applyCondition, type Condition, type ConditionalCallback } from '../conditionable.js';
import { StartedDispatch } from '../dispatch-result.js';
import { isJob, jobName } from '../job-value.js';
import type { Batch } from './batch.js';
import type { BatchEntry } from './batch-entries.js';
import { InvalidBatchError } from './batch-errors.js';
import type { BatchCallback, BatchCatch, BatchDispatcher, BatchOptions } from './batch-options.js';

/**
 * A batch being dispatched, returned by `PendingBatch.dispatch()`: await it for the `Batch`,
 * once its jobs were pushed (queued) or have run (in this process). A failure nobody awaits is
 * sent to the application's reporter, never left as an unhandled rejection.
 */
export class DispatchedBatch extends StartedDispatch<Batch> {}

/**
 * A batch about to be dispatched, returned by `bus.batch(jobs)`: jobs that run independently,
 * with callbacks once they all succeeded (`onSuccess`, Laravel's `then`), at the first failure
 * (`catch`) and once all have run (`finally`). Every option returns the pending batch. It has no
 * `then` method, so that it is never taken for a promise: `dispatch()` sends it.
 *
 * Where it runs: when queues are configured and any of its jobs is `ShouldQueue`, every job is
 * pushed to its queue, and the callbacks must be jobs (a worker dispatches them). Otherwise the
 * jobs run one after another in this process, each as `dispatchSync` runs it, and callbacks may
 * also be functions.
 *
 * @example
 * const batch = await bus
 *   .batch([new ImportRow(1), new ImportRow(2), [new ResizeImage(3), new PublishImage(3)]])
 *   .onSuccess(new NotifyImported(importId))
 *   .catch(new ReportImportFailure(importId))
 *   .finally(new CleanUpImport(importId))
 *   .name('import 42')
 *   .onQueue('imports')
 *   .dispatch();
 */
export class PendingBatch {
  readonly #dispatcher: BatchDispatcher;
  readonly #app: Application;
  readonly #jobs: unknown;
  #name: string | undefined;
  #connection: string | undefined;
  #queue: string | undefined;
  #allowFailures = false;
  readonly #onSuccess: BatchCallback[] = [];
  readonly #catch: BatchCatch[] = [];
  readonly #finally: BatchCallback[] = [];

  /**
   * @param dispatcher - The bus that dispatches the batch.
   * @param app - The application whose reporter receives failures nobody awaits.
   * @param jobs - The jobs: instances, lists of instances (chains), falsy values (dropped).
   */
  constructor(dispatcher: BatchDispatcher, app: Application, jobs: readonly BatchEntry[]) {
    this.#dispatcher = dispatcher;
    this.#app = app;
    this.#jobs = Array.isArray(jobs) ? jobs.map((entry: unknown) => (Array.isArray(entry) ? [...entry] : entry)) : jobs;
  }

  /** The jobs as given (a copy): the list `dispatch()` sends. */
  get jobs(): readonly BatchEntry[] {
    return Array.isArray(this.#jobs) ? [...(this.#jobs as BatchEntry[])] : [];
  }

  /**
   * Adds what runs once every job of the batch succeeded: Laravel's `then()` (named so here
   * because an object with a `then` method is taken for a promise).
   *
   * @param callback - A job instance, or for a batch that runs in this process, `(batch) => ...`.
   * @throws {InvalidBatchError} For anything else, or a class where an instance was meant.
   */
  onSuccess(callback: BatchCallback): this {
    this.#onSuccess.push(checkCallback('onSuccess', callback));
    return this;
  }

  /**
   * Adds what runs once, at the first job of the batch that failed for good. A job gets the
   * failure in its `batchFailure` field; a function gets `(batch, error)`.
   *
   * @throws {InvalidBatchError} For anything but a job instance or a function.
   */
  catch(callback: BatchCatch): this {
    this.#catch.push(checkCallback('catch', callback));
    return this;
  }

  /**
   * Adds what runs once every job of the batch has run, succeeded or failed for good.
   *
   * @throws {InvalidBatchError} For anything but a job instance or a function.
   */
  finally(callback: BatchCallback): this {
    this.#finally.push(checkCallback('finally', callback));
    return this;
  }

  /**
   * Lets the batch go on after a failure. Without it, the first job that fails for good cancels the batch.
   *
   * @throws {InvalidBatchError} For something that is not a boolean.
   */
  allowFailures(allow = true): this {
    if (typeof allow !== 'boolean') throw InvalidBatchError.option('allowFailures', 'true or false', allow);
    this.#allowFailures = allow;
    return this;
  }

  /**
   * Calls `callback` with this batch when `condition` is truthy, else `otherwise` when given
   * (Laravel's `Conditionable`).
   *
   * @param condition - A value, or a function of this batch that returns one.
   * @throws {InvalidCallbackError} When a callback is not a function.
   */
  when(condition: Condition<this>, callback: ConditionalCallback<this>, otherwise?: ConditionalCallback<this>): this {
    return applyCondition(this, 'when', condition, callback, otherwise);
  }

  /** Like `when()`, with the condition reversed. */
  unless(condition: Condition<this>, callback: ConditionalCallback<this>, otherwise?: ConditionalCallback<this>): this {
    return applyCondition(this, 'unless', condition, callback, otherwise);
  }

  /**
   * Names the batch, for listings and logs.
   *
   * @throws {InvalidBatchError} For something that is not a string.
   */
  name(name: string): this {
    if (typeof name !== 'string') throw InvalidBatchError.option('name', 'a string', name);
    this.#name = name;
    return this;
  }

  /**
   * Sends every job (and callback job) that names no connection of its own to this connection.
   *
   * @throws {InvalidBatchError} For something that is not a non-empty string.
   */
  onConnection(connection: string): this {
    if (typeof connection !== 'string' || connection === '') {
      throw InvalidBatchError.option('onConnection', 'a connection name', connection);
    }
    this.#connection = connection;
    return this;
  }

  /**
   * Sends every job (and callback job) that names no queue of its own to this queue.
   *
   * @throws {InvalidBatchError} For something that is not a non-empty string.
   */
  onQueue(queue: string): this {
    if (typeof queue !== 'string' || queue === '') throw InvalidBatchError.option('onQueue', 'a queue name', queue);
    this.#queue = queue;
    return this;
  }

  /** The options set so far, as `dispatch()` hands them to the bus. */
  options(): BatchOptions {
    return {
      ...(this.#name !== undefined && { name: this.#name }),
      ...(this.#connection !== undefined && { connection: this.#connection }),
      ...(this.#queue !== undefined && { queue: this.#queue }),
      allowFailures: this.#allowFailures,
      onSuccess: [...this.#onSuccess],
      catch: [...this.#catch],
      finally: [...this.#finally],
    };
  }

  /**
   * Creates the batch in the store and dispatches its jobs.
   *
   * @returns Resolves to the `Batch` once every job was pushed (queued batch) or has run, with
   *   the callbacks (in-process batch). A job that fails in this process does not reject it: it is
   *   counted on the batch, reported, and handed to `catch`.
   * @throws {InvalidBatchError} (as a rejection) For an entry that is not a job or a list of jobs.
   * @throws {BatchCallbackNotQueueableError} (as a rejection) For a function callback on a queued batch.
   */
  dispatch(): DispatchedBatch {
    const jobs = this.#jobs as readonly BatchEntry[];
    const options = this.options();
    return new DispatchedBatch(
      // Through the dispatcher, so that whatever stands in for it (a test fake) sees the batch whole.
      () => this.#dispatcher.dispatchBatch(jobs, options),
      (error) => {
        const names = Array.isArray(jobs) ? jobs.filter(isJob).map(jobName) : [];
        this.#app.report(error, { ...this.#app.currentScope().reportContext('dispatch'), job: `batch of ${names.join(', ')}` });
      },
    );
  }
}

function checkCallback<C>(option: string, callback: C): C {
  const isClass = typeof callback === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(callback));
  if (isClass || (typeof callback !== 'function' && !isJob(callback))) throw InvalidBatchError.callback(option, callback);
  return callback;
}
