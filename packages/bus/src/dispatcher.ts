import {
  type Application,
  bindPerApplication,
  composePipes,
  ReportedFailure,
  type ComposedPipes,
  type Constructor,
  type ErrorContext,
  type Pipe,
} from '@epilogue/core';
import type { Batch } from './batch/batch.js';
import type { BatchEntry } from './batch/batch-entries.js';
import type { BatchOptions } from './batch/batch-options.js';
import { Batches } from './batch/batches.js';
import { PendingBatch } from './batch/pending-batch.js';
import type { ChainOptions, QueuedChain } from './chain/chain-options.js';
import { PendingChain } from './chain/pending-chain.js';
import { runChain } from './chain/run-chain.js';
import { InvalidHandlerError, InvalidJobError } from './errors.js';
import { callMappedHandler, callSelfHandling, handlerMethod, type Handler } from './handler.js';
import { JobEvents, type DispatchMode, type JobEventListener, type JobEventMap } from './job-events.js';
import { assertJob, isJob, jobName } from './job-value.js';
import { SyncConnection, type QueueConnectionResolver } from './queue-connection.js';
import { isShouldQueue } from './should-queue.js';
import { HELD, holdUntilCommit, wantsAfterCommit } from './transactions/after-commit.js';

/**
 * What a job may declare, as fields and methods of its own, for the queue and for `dispatchSync`.
 * Implement it to have them type-checked: `class Encode extends Job implements QueueableJob`.
 */
export interface QueueableJob {
  /** The queue connection to push to (queued jobs); the default one when absent. */
  connection?: string;
  /** The queue to push to (queued jobs). */
  queue?: string;
  /** Seconds to wait on the queue before the job may run (queued jobs). */
  delay?: number;
  /** Job middleware: pipes around the handler when the job runs as queued or with `dispatchSync`. */
  middleware?(): readonly Pipe<object>[];
  /** Called once when the job failed for good (queued, `dispatchSync`, after the response). */
  failed?(error: unknown): unknown;
  /**
   * `true`: dispatched inside a database transaction, it waits for the commit and is dropped on
   * rollback. `false`: pushed at once even on a connection configured with `afterCommit: true`.
   */
  afterCommit?: boolean;
}

/**
 * The command bus of one application. Get it with `app.make(Dispatcher)` or take it in a
 * constructor; there is one per application.
 *
 * - `dispatch(job)`: pushes a `ShouldQueue` job to its queue connection, runs any other now.
 * - `dispatchNow(job)`: runs now through the bus pipes; resolves to the handler's result.
 * - `dispatchSync(job)`: runs now even when queued, with the job's middleware and `failed()` hook.
 * - `dispatchAfterResponse(job)`: runs it with `dispatchSync` once the current response was sent.
 *
 * @example
 * \@injectable()
 * class Registration {
 *   constructor(private bus: Dispatcher) {}
 *   register(user: User) { this.bus.dispatchAfterResponse(new SendWelcomeEmail(user)); }
 * }
 */
export class Dispatcher {
  /** The job lifecycle events (`dispatched`, `processing`, `processed`, `failed`). */
  readonly events = new JobEvents();
  /** The application's job batches: their store, and what queue workers report to (see `Batches`). */
  readonly batches: Batches;

  readonly #app: Application;
  readonly #handlers = new Map<Constructor, Handler>();
  // The bus pipes, composed once when they are set; undefined when there are none.
  #pipes: ComposedPipes<object> | undefined;
  readonly #sync: QueueConnectionResolver;
  #queues: QueueConnectionResolver;
  #queueResolver: QueueConnectionResolver | undefined;
  #afterResponseNow = false;
  readonly #container = () => this.#app.currentScope().container;
  readonly #reportListenerError = (error: unknown) => this.#app.report(error, { phase: 'job-event' });

  /** @param app - The application whose scopes, container and reporter the bus uses. */
  constructor(app: Application) {
    this.#app = app;
    const sync = new SyncConnection((job) => this.dispatchSync(job));
    this.#sync = { connection: () => sync };
    this.#queues = this.#sync;
    this.batches = new Batches(app, this);
  }

  /**
   * Queues the job when it is marked `ShouldQueue`, else runs it now (as `dispatchNow`).
   *
   * @returns The handler's result, or what the queue connection returned (a job id).
   * @throws {InvalidJobError} When `job` is not an object.
   */
  dispatch(job: object): Promise<unknown> {
    if (wantsAfterCommit(job) && this.#heldUntilCommit(job, () => this.dispatch(job))) return HELD;
    return isShouldQueue(job) ? this.dispatchToQueue(job) : this.dispatchNow(job);
  }

  /**
   * Runs the job now through the bus pipes to its handler; no job middleware.
   *
   * @param handler - A handler to use instead of the mapped one or the job's own.
   * @returns The handler's result.
   */
  dispatchNow<R = unknown>(job: object, handler?: Handler): Promise<R> {
    if (!isJob(job)) return Promise.reject(InvalidJobError.forValue(job));
    if (this.events.has('dispatched')) this.#emit('dispatched', { job, mode: 'now' });
    return this.#run(job, handler, 'now') as Promise<R>;
  }

  /**
   * Runs one attempt of a job as a queue worker does, the one path every queued, synchronous
   * and after-response run takes: through the job's `middleware()` and the bus pipes to its
   * handler, with the `processing`, `processed` and `failed` events. No `dispatched` event (it
   * was dispatched once, when it was queued) and no `failed()` hook: that runs once the job
   * failed for good (see `jobFailed()`), which only the caller knows. Queue workers call it.
   *
   * @param reached - Called (and awaited) once the job's middleware let the job through, before
   *   the bus pipes and the handler; not called when a middleware held the job back. A worker
   *   frees a `ShouldBeUniqueUntilProcessing` lock there, as Laravel does.
   * @returns The handler's result; rejects with what the attempt threw.
   */
  runQueued<R = unknown>(job: object, reached?: (job: object) => unknown): Promise<R> {
    if (!isJob(job)) return Promise.reject(InvalidJobError.forValue(job));
    return this.#run(job, undefined, 'queued', reached) as Promise<R>;
  }

  /**
   * Calls the job's `failed(error)` hook, once it failed for good. A hook that throws is
   * reported (`phase: 'failed-hook'`, with the job's name), never passed on.
   */
  async jobFailed(job: object, error: unknown): Promise<void> {
    const failed = (job as QueueableJob).failed;
    if (typeof failed !== 'function') return;
    try {
      await failed.call(job, error);
    } catch (hookError) {
      this.#app.report(hookError, { ...this.#app.currentScope().reportContext('failed-hook'), job: jobName(job) });
    }
  }

  /**
   * Reports a job that failed where nobody awaits it, in the one shape every failed job is
   * reported with wherever it ran: the current scope's context, `phase: 'job'`, `job` (its
   * name) and, from a worker, where it ran.
   *
   * @param job - The job, or its display name.
   * @param where - More context: a worker gives the connection, queue, id and attempt.
   */
  reportFailure(error: unknown, job: object | string, where?: Omit<ErrorContext, 'phase'>): void {
    const name = typeof job === 'string' ? job : jobName(job);
    this.#app.report(error, { ...this.#app.currentScope().reportContext('job'), ...where, job: name });
  }

  /**
   * Runs the job now, even when it is marked `ShouldQueue`, as a queue worker would: through
   * the job's `middleware()` and the bus pipes; when it fails, its `failed(error)` hook runs and
   * the error is passed on.
   *
   * @returns The handler's result.
   */
  dispatchSync<R = unknown>(job: object): Promise<R> {
    if (!isJob(job)) return Promise.reject(InvalidJobError.forValue(job));
    if (this.events.has('dispatched')) this.#emit('dispatched', { job, mode: 'sync' });
    return this.#run(job, undefined, 'sync') as Promise<R>;
  }

  /**
   * Runs the job with `dispatchSync` after the current response was sent (after the current
   * command or job, in those scopes; at `app.terminate()` outside any scope). Failures are
   * reported, never thrown to the caller. After `withoutDispatchingAfterResponses()` the job runs at once.
   *
   * @returns A promise that resolves once the job is registered (or, run at once, has run).
   */
  dispatchAfterResponse(job: object): Promise<void> {
    assertJob(job);
    if (wantsAfterCommit(job) && this.#heldUntilCommit(job, () => this.dispatchAfterResponse(job))) return HELD;
    this.#emit('dispatched', { job, mode: 'after-response' });
    // The failure is reported here, in the shape of any failed job, not as a failed callback;
    // after the response the step still rejects (already reported), so that it counts as failed.
    const run = () =>
      this.#run(job, undefined, 'sync').then(
        () => undefined,
        (error: unknown) => this.reportFailure(error, job),
      );
    if (this.#afterResponseNow) return run();
    const step = () =>
      this.#run(job, undefined, 'sync').then(undefined, (error: unknown) => {
        this.reportFailure(error, job);
        throw new ReportedFailure(error);
      });
    this.#app.currentScope().terminating(step, jobName(job), job);
    return REGISTERED;
  }

  /**
   * Pushes the job to its connection (`job.connection`, else the default) on `job.queue`, after `job.delay` seconds.
   *
   * @param chain - When the job is the first of a chain: the rest of it. Its connection, queue
   *   and delay apply to this job too when it sets none of its own.
   * @returns What the connection returns: a job id, or the result for the `sync` connection.
   */
  async dispatchToQueue(job: object, chain?: QueuedChain): Promise<unknown> {
    assertJob(job);
    if (wantsAfterCommit(job) && this.#heldUntilCommit(job, () => this.dispatchToQueue(job, chain))) return HELD;
    this.#emit('dispatched', { job, mode: 'queue' });
    const { connection, queue, delay } = job as QueueableJob;
    if (chain === undefined) return this.#queues.connection(connection).push(job, { queue, delay });
    const options = { queue: queue ?? chain.queue, delay: delay ?? chain.delay, chain };
    return this.#queues.connection(connection ?? chain.connection).push(job, options);
  }

  /**
   * Starts a chain: each job runs once the one before it succeeded; a failure stops the chain
   * and runs its catch handlers. See `PendingChain` for where it runs and what `catch()` takes.
   *
   * @param jobs - The jobs, in order. Falsy entries (`null`, `undefined`, `false`) are dropped,
   *   as Laravel does, so that `[first, condition && second, third]` works. A pending batch
   *   (`this.batch([...])`) is a step: the chain goes on once it has run, unless it was cancelled.
   * @returns The chain, to set options on and `dispatch()`.
   * @example
   * await bus.chain([new ImportFeed(id), new IndexFeed(id)]).catch(new ReportImportFailure(id)).dispatch();
   */
  chain(jobs: readonly ChainEntry[]): PendingChain {
    const chained = withoutFalsy(jobs);
    return new PendingChain(this, this.#app, () => chained);
  }

  /**
   * Dispatches a chain, as `PendingChain.dispatch()` does once its options are set: through the
   * queue when queues are configured and any job is `ShouldQueue`, else in this process.
   *
   * @param jobs - The jobs, in order.
   * @param options - The catch handlers, and the connection, queue and delay of a queued chain.
   * @returns Resolves once the chain was pushed, or has run (see `PendingChain.dispatch()`).
   */
  dispatchChain(jobs: readonly object[], options: ChainOptions = {}): Promise<void> {
    return runChain(this, this.#app, jobs, options);
  }

  /**
   * Starts a batch: jobs that run independently (a nested list is a chain), with callbacks once
   * they all succeeded, at the first failure and once all have run. See `PendingBatch`.
   *
   * @param jobs - The jobs; falsy entries are dropped.
   * @returns The pending batch, to set options on and `dispatch()`.
   * @example
   * const batch = await bus.batch([new ImportRow(1), new ImportRow(2)]).onSuccess(new NotifyImported(7)).dispatch();
   */
  batch(jobs: readonly BatchEntry[]): PendingBatch {
    return new PendingBatch(this, this.#app, jobs);
  }

  /**
   * Creates a batch and dispatches its jobs, as `PendingBatch.dispatch()` does once its options are set.
   *
   * @returns The batch, once its jobs were pushed (queued) or have run (in this process).
   */
  dispatchBatch(jobs: readonly BatchEntry[], options: BatchOptions = {}): Promise<Batch> {
    return this.batches.dispatch(jobs, options);
  }

  /**
   * The batch of this id as the batch store has it now, or undefined when there is none. Works
   * with the default in-memory store, with or without queues.
   */
  findBatch(id: string): Promise<Batch | undefined> {
    return this.batches.find(id);
  }

  /** Sets the pipes every job passes through before its handler (replacing earlier ones). */
  pipeThrough(pipes: readonly Pipe<object>[]): this {
    this.#pipes = pipes.length === 0 ? undefined : composePipes(pipes);
    return this;
  }

  /**
   * Maps job classes to handler classes (built by the container, constructor injection) or functions.
   *
   * @example
   * dispatcher.map(new Map([[CreateOrder, CreateOrderHandler]]));
   */
  map(handlers: ReadonlyMap<Constructor, Handler>): this {
    for (const [job, handler] of handlers) {
      const valid =
        typeof handler === 'function' || (typeof handler === 'object' && handler !== null && handlerMethod(handler));
      if (!valid) throw InvalidHandlerError.forMapping(job.name, handler);
      this.#handlers.set(job, handler);
    }
    return this;
  }

  /** Whether a handler is mapped for the job's class. */
  hasCommandHandler(job: object): boolean {
    return this.#handlers.has(job.constructor as Constructor);
  }

  /** The handler mapped for the job's class, if any. */
  getCommandHandler(job: object): Handler | undefined {
    return this.#handlers.get(job.constructor as Constructor);
  }

  /** Makes `dispatchAfterResponse` run jobs at once (useful in tests). */
  withoutDispatchingAfterResponses(): this {
    this.#afterResponseNow = true;
    return this;
  }

  /** Undoes `withoutDispatchingAfterResponses()`. */
  withDispatchingAfterResponses(): this {
    this.#afterResponseNow = false;
    return this;
  }

  /**
   * Sets where `dispatch()` sends `ShouldQueue` jobs. The queue package calls this; `undefined`
   * goes back to running them in this process. Applications call `configureQueues()` instead.
   * @internal
   */
  setQueueResolver(resolver: QueueConnectionResolver | undefined): this {
    this.#queueResolver = resolver;
    this.#queues = resolver ?? this.#sync;
    return this;
  }

  /**
   * The resolver given to `setQueueResolver()`, if any (a test fake puts it back with this).
   * @internal
   */
  queueResolver(): QueueConnectionResolver | undefined {
    return this.#queueResolver;
  }

  /**
   * Whether a queue resolver is set: without one, `ShouldQueue` jobs and chains run in this process.
   * @internal
   */
  hasQueueResolver(): boolean {
    return this.#queueResolver !== undefined;
  }

  /**
   * Listens to a job lifecycle event.
   *
   * @returns A function that removes the listener.
   */
  on<E extends keyof JobEventMap>(event: E, listener: JobEventListener<E>): () => void {
    return this.events.on(event, listener);
  }

  // A job marked afterCommit, dispatched inside a transaction, waits for its commit.
  #heldUntilCommit(job: object, dispatch: () => unknown): boolean {
    return holdUntilCommit(this.#app, dispatch, { job: jobName(job) });
  }

  // Nobody listens for the outcome and there is no failed() hook to call, in the common case:
  // then the handler's own promise is the result, with no promise or tick added around it.
  #run(
    job: object,
    handler: Handler | undefined,
    mode: 'now' | 'queued' | 'sync',
    reached?: (job: object) => unknown,
  ): Promise<unknown> {
    if (this.events.has('processing')) this.#emit('processing', { job });
    let running: Promise<unknown>;
    try {
      running = mode === 'now' ? this.#throughPipes(job, handler) : this.#throughJobMiddleware(job, reached);
    } catch (error) {
      running = Promise.reject(error);
    }
    const hook = mode === 'sync' && typeof (job as QueueableJob).failed === 'function';
    const watched = hook || this.events.has('processed') || this.events.has('failed');
    return watched ? this.#settle(job, running, hook) : running;
  }

  async #settle(job: object, running: Promise<unknown>, hook: boolean): Promise<unknown> {
    try {
      const result = await running;
      this.#emit('processed', { job, result });
      return result;
    } catch (error) {
      this.#emit('failed', { job, error });
      // dispatchSync runs one attempt only: it failed for good.
      if (hook) await this.jobFailed(job, error);
      throw error;
    }
  }

  #throughJobMiddleware(job: object, reached: ((job: object) => unknown) | undefined): Promise<unknown> {
    const middleware = (job as QueueableJob).middleware?.();
    const next = reached === undefined ? this.#toPipes : (passed: object) => this.#reached(passed, reached);
    if (!middleware?.length) return next(job);
    // A job's middleware list is its own, built per call: composed for this run.
    return composePipes(middleware)(job, next, this.#container);
  }

  async #reached(job: object, reached: (job: object) => unknown): Promise<unknown> {
    await reached(job);
    return this.#throughPipes(job, undefined);
  }

  readonly #toPipes = (job: object): Promise<unknown> => this.#throughPipes(job, undefined);

  #throughPipes(job: object, handler: Handler | undefined): Promise<unknown> {
    // Without bus pipes the pipeline is skipped entirely: a trivial job costs one call.
    if (this.#pipes === undefined) return Promise.resolve(this.#handle(job, handler));
    return this.#pipes(job, handler === undefined ? this.#toHandler : (passed) => this.#handle(passed, handler), this.#container);
  }

  readonly #toHandler = (job: object): unknown => this.#handle(job, undefined);

  #handle(job: object, handler: Handler | undefined): unknown {
    let mapped = handler;
    // Self-handling jobs usually leave the map empty: skip the lookup then.
    if (mapped === undefined && this.#handlers.size > 0) mapped = this.#handlers.get(job.constructor as Constructor);
    return mapped === undefined
      ? callSelfHandling(job, this.#container)
      : callMappedHandler(mapped, job, this.#container);
  }

  // The hot call sites ask `events.has()` first, so that no payload is built when nobody listens.
  #emit<E extends keyof JobEventMap>(event: E, payload: JobEventMap[E]): void {
    if (this.events.has(event)) this.events.emit(event, payload, this.#reportListenerError);
  }
}

/** An entry of a chain's job list: a job, or a falsy value that is left out. */
export type ChainEntry = object | null | undefined | false;

/** The list without its falsy entries; anything that is not a list is passed on, for the chain to refuse. */
export function withoutFalsy(jobs: readonly ChainEntry[]): object[] {
  return (Array.isArray(jobs) ? jobs.filter(Boolean) : jobs) as object[];
}

// What dispatchAfterResponse() returns: registering is synchronous, so one settled promise serves every call.
const REGISTERED: Promise<void> = Promise.resolve();

/**
 * The application's `Dispatcher`: the same instance as `app.container.resolve(Dispatcher)`, found
 * without a container resolution when nothing overrides it (the static job helpers use it).
 */
export const dispatcherOf = bindPerApplication(Dispatcher, (app) => new Dispatcher(app));

// The application's batches, resolvable from its container (a queued chain's `ChainedBatch` takes them).
bindPerApplication(Batches, (app) => dispatcherOf(app).batches);

export type { DispatchMode };
