import type { Application } from '@epilogue/core';
import { applyCondition, type Condition, type ConditionalCallback } from '../conditionable.js';
import { InvalidChainError } from '../errors.js';
import type { ChainDispatcher } from './chain-dispatcher.js';
import type { ChainCatch } from './chain-options.js';
import { DispatchedChain } from './dispatched-chain.js';
import { assertJobs, reportChainError } from './run-chain.js';

/**
 * A chain about to be dispatched, returned by `dispatcher.chain(jobs)` and `Job.withChain(jobs)`.
 * Each job runs only once the one before it succeeded; the first failure stops the chain and
 * runs its catch handlers. Options chain synchronously; `dispatch()` sends it.
 *
 * Where it runs: when queues are configured (`configureQueues()`) and any of its jobs is marked
 * `ShouldQueue`, the whole chain goes through the queue, each job on whichever worker takes it;
 * the first job's payload carries the rest. Otherwise the jobs run one after another in this
 * process, each as `dispatchSync` runs it (job middleware and `failed()` apply), and the
 * connection, queue and delay options are not used.
 *
 * A step may be a pending batch (`bus.chain([a, bus.batch([b1, b2]), c])`): the chain goes on
 * once every job of the batch has run, unless the batch was cancelled; then the catch handlers
 * run instead. Queued, a `ChainedBatch` job stands for the batch in the chain.
 *
 * Catch handlers: a job instance works everywhere; it is dispatched once when a job of the chain
 * failed for good, with `chainFailure` set (see `ChainCatchJob`). A function only works for a
 * chain that runs in this process: it cannot travel to a worker, so a queued chain refuses it.
 *
 * @example
 * await dispatcher
 *   .chain([new ImportFeed(id), new IndexFeed(id), new NotifyImported(id)])
 *   .onQueue('imports')
 *   .catch(new ReportImportFailure(id))
 *   .dispatch();
 */
export class PendingChain<A extends unknown[] = []> {
  readonly #dispatcher: ChainDispatcher;
  readonly #app: Application;
  readonly #build: (...args: A) => unknown;
  readonly #catch: ChainCatch[] = [];
  #connection: string | undefined;
  #queue: string | undefined;
  #delay: number | undefined;

  /**
   * @param dispatcher - The dispatcher that runs or queues the jobs.
   * @param app - The application whose reporter receives failures nobody awaits.
   * @param build - Builds the list of jobs from the arguments given to `dispatch()`.
   */
  constructor(dispatcher: ChainDispatcher, app: Application, build: (...args: A) => unknown) {
    this.#dispatcher = dispatcher;
    this.#app = app;
    this.#build = build;
  }

  /** Sends every job of the chain that names no connection of its own to this connection. */
  onConnection(connection: string): this {
    this.#connection = connection;
    return this;
  }

  /** Sends every job of the chain that names no queue of its own to this queue. */
  onQueue(queue: string): this {
    this.#queue = queue;
    return this;
  }

  /** The same as `onConnection()`: Laravel's name on a chain's first job. */
  allOnConnection(connection: string): this {
    return this.onConnection(connection);
  }

  /** The same as `onQueue()`: Laravel's name on a chain's first job. */
  allOnQueue(queue: string): this {
    return this.onQueue(queue);
  }

  /**
   * Calls `callback` with this chain when `condition` is truthy, else `otherwise` when given
   * (Laravel's `Conditionable`).
   *
   * @param condition - A value, or a function of this chain that returns one.
   * @throws {InvalidCallbackError} When a callback is not a function.
   */
  when(condition: Condition<this>, callback: ConditionalCallback<this>, otherwise?: ConditionalCallback<this>): this {
    return applyCondition(this, 'when', condition, callback, otherwise);
  }

  /** Like `when()`, with the condition reversed. */
  unless(condition: Condition<this>, callback: ConditionalCallback<this>, otherwise?: ConditionalCallback<this>): this {
    return applyCondition(this, 'unless', condition, callback, otherwise);
  }

  /** Makes every job of the chain that sets no delay of its own wait this many seconds once pushed. */
  delay(seconds: number): this {
    this.#delay = seconds;
    return this;
  }

  /**
   * Adds what runs, once, when a job of the chain fails for good; several run in the order given.
   *
   * @param handler - A job instance (works everywhere), or a function (in-process chains only).
   * @throws {InvalidChainError} For anything else, or for a class where an instance was meant.
   */
  catch(handler: ChainCatch): this {
    if (typeof handler === 'function' && isClass(handler)) throw InvalidChainError.forClass(handler.name);
    if (typeof handler !== 'function' && (typeof handler !== 'object' || handler === null)) {
      throw InvalidChainError.forCatch(handler);
    }
    this.#catch.push(handler);
    return this;
  }

  /**
   * Dispatches the chain.
   *
   * @param args - For `Job.withChain()`, the first job's constructor arguments.
   * @returns Resolves once the chain was pushed (queued; on the `sync` connection, once it ran),
   *   or has run (in this process). Rejects when it cannot be dispatched, or when an in-process
   *   chain failed (after the catch handlers ran), with that job's error.
   * @throws {InvalidChainError} (as a rejection) For a chain without jobs.
   * @throws {ChainCatchNotQueueableError} (as a rejection) For a function catch on a queued chain.
   */
  dispatch(...args: A): DispatchedChain {
    const jobs = this.#build(...args);
    return new DispatchedChain(
      () => this.#dispatch(jobs),
      (error) => reportChainError(this.#app, error, 'dispatch', jobs),
    );
  }

  async #dispatch(jobs: unknown): Promise<void> {
    assertJobs(jobs);
    const options = { catch: [...this.#catch], connection: this.#connection, queue: this.#queue, delay: this.#delay };
    // Through the dispatcher, so that whatever stands in for it (a test fake) sees the chain whole.
    return this.#dispatcher.dispatchChain(jobs, options);
  }
}

// Class bodies start with `class`; a function or arrow function given to catch() never does.
function isClass(value: object): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(value));
}
