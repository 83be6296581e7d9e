import { Application } from '@epilogue/core';
import type { Batch } from './batch/batch.js';
import { dispatcherOf, withoutFalsy, type ChainEntry, type Dispatcher } from './dispatcher.js';
import { addToChain } from './chain/chain-control.js';
import { PendingChain } from './chain/pending-chain.js';
import { PendingDispatch } from './pending-dispatch.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type JobClass<J extends Job = Job> = new (...args: any[]) => J;

/** What a job's handler resolves to: the awaited result of `handle()` (or `__invoke()`). */
export type JobResult<J> = J extends { handle(...args: never[]): infer R }
  ? Awaited<R>
  : J extends { __invoke(...args: never[]): infer R }
    ? Awaited<R>
    : unknown;

/** A condition for `dispatchIf`/`dispatchUnless`: a boolean, or a test of the built job. */
export type DispatchCondition<J> = boolean | ((job: J) => boolean);

/**
 * The base class of jobs, with static helpers typed from the constructor's parameters.
 * Give a job a `handle()` (or `__invoke()`) method, or map it to a handler with `dispatcher.map()`.
 *
 * @example
 * class SendWelcomeEmail extends Job {
 *   constructor(public user: User) { super(); }
 *   \@autowire(Mailer)
 *   async handle(mailer: Mailer) { await mailer.send(this.user.email, 'Welcome'); }
 * }
 * SendWelcomeEmail.dispatchAfterResponse(user);
 */
export abstract class Job {
  // The queue options (`connection`, `queue`, `delay`), `middleware()` and `failed(error)` are
  // read from the instance when present (see `QueueableJob`) but not declared here: a job may
  // then have a field of its own called `failed` or `queue`, and needs no `override` keyword.

  /** The batch this job belongs to (or, for a callback job, was dispatched for); set by the bus. */
  declare batchId?: string;

  /**
   * The batch this job belongs to, as the batch store has it now; undefined for a job of no batch.
   *
   * @example
   * async handle() { if ((await this.batch())?.cancelled()) return; ... }
   */
  batch(): Promise<Batch | undefined> {
    const id = this.batchId;
    return typeof id === 'string' ? dispatcher().findBatch(id) : Promise.resolve(undefined);
  }

  /**
   * From inside `handle()`, runs `job` right after this one, before the rest of its chain (a
   * later call's job runs before an earlier one's, as in Laravel). On a queue the job is written
   * now and travels with the next job's payload; it is pushed only if this attempt completes.
   * A job not in a chain that runs from a queue starts one. The job goes, when it sets none of its
   * own, to the connection and queue this one was delivered from.
   *
   * @returns This job.
   * @throws {InvalidJobError} When `job` is not a job object.
   * @throws {NotInChainError} When this job runs neither from a queue nor in a chain (`E_NOT_IN_CHAIN`),
   *   or belongs to a batch (`E_CHAIN_IN_BATCH`).
   * @throws {JobNotRegisteredError} (queued) For a job whose class is not registered; likewise
   *   `JobNotSerializableError` for one that cannot be written.
   * @example
   * async handle() {
   *   const pages = await feeds.pages(this.feedId);
   *   if (pages.hasMore) this.prependToChain(new ImportFeed(this.feedId, pages.next));
   * }
   */
  prependToChain(job: object): this {
    addToChain(this, job, 'prepend');
    return this;
  }

  /**
   * From inside `handle()`, runs `job` at the end of this job's chain (after what was already
   * appended). A job not in a chain that runs from a queue starts one, as in Laravel. See
   * `prependToChain()` for where it goes and when it is pushed.
   *
   * @returns This job.
   * @throws {InvalidJobError} When `job` is not a job object.
   * @throws {NotInChainError} When this job runs neither from a queue nor in a chain, or belongs to a batch.
   */
  appendToChain(job: object): this {
    addToChain(this, job, 'append');
    return this;
  }

  /**
   * Builds the job and dispatches it on a microtask: queued when marked `ShouldQueue`, else now.
   *
   * @returns A `PendingDispatch`: chain options, await it for the result.
   * @throws {NoApplicationError} When no application exists.
   */
  static dispatch<C extends JobClass>(
    this: C,
    ...args: ConstructorParameters<C>
  ): PendingDispatch<InstanceType<C>, JobResult<InstanceType<C>>> {
    return pendingDispatch(new this(...args) as InstanceType<C>);
  }

  /** Builds the job and runs it now with `dispatchSync` semantics; resolves to the handler's result. */
  static dispatchSync<C extends JobClass>(
    this: C,
    ...args: ConstructorParameters<C>
  ): Promise<JobResult<InstanceType<C>>> {
    return dispatcher().dispatchSync(new this(...args));
  }

  /** Builds the job and runs it after the current response was sent. */
  static dispatchAfterResponse<C extends JobClass>(this: C, ...args: ConstructorParameters<C>): void {
    void dispatcher().dispatchAfterResponse(new this(...args));
  }

  /**
   * Dispatches like `dispatch()` when `condition` holds (a function receives the built job).
   *
   * @returns The `PendingDispatch`, or `undefined` when nothing was dispatched.
   */
  static dispatchIf<C extends JobClass>(
    this: C,
    condition: DispatchCondition<InstanceType<C>>,
    ...args: ConstructorParameters<C>
  ): PendingDispatch<InstanceType<C>, JobResult<InstanceType<C>>> | undefined {
    return dispatchWhen(this, condition, true, args);
  }

  /**
   * Starts a chain with this job, built from the arguments later given to `dispatch()`, followed by `jobs`.
   *
   * @param jobs - The jobs that run after this one, in order; falsy entries are dropped.
   * @returns A `PendingChain` whose `dispatch()` takes this job's constructor arguments.
   * @throws {NoApplicationError} When no application exists.
   * @example
   * await ImportFeed.withChain([new IndexFeed(feedId), new NotifyImported(feedId)])
   *   .catch(new ReportImportFailure(feedId))
   *   .dispatch(feedId);
   */
  static withChain<C extends JobClass>(this: C, jobs: readonly ChainEntry[]): PendingChain<ConstructorParameters<C>> {
    const app = Application.getInstance();
    // Not a list: dispatch() refuses it, once it has the first job's arguments. Falsy entries are dropped.
    const chained: unknown = withoutFalsy(jobs);
    const build = (...args: ConstructorParameters<C>) =>
      Array.isArray(chained) ? [new this(...args), ...chained] : chained;
    return new PendingChain(dispatcherOf(app), app, build);
  }

  /** Dispatches like `dispatch()` unless `condition` holds (a function receives the built job). */
  static dispatchUnless<C extends JobClass>(
    this: C,
    condition: DispatchCondition<InstanceType<C>>,
    ...args: ConstructorParameters<C>
  ): PendingDispatch<InstanceType<C>, JobResult<InstanceType<C>>> | undefined {
    return dispatchWhen(this, condition, false, args);
  }
}

// The application's dispatcher, not the scope's: a request that only dispatches after the
// response then never builds a child container.
function dispatcher(): Dispatcher {
  return dispatcherOf(Application.getInstance());
}

// dispatchIf (when the condition is `expected`) and dispatchUnless (when it is not). The job is
// built only when a function condition needs it, or once the condition allows the dispatch.
function dispatchWhen<C extends JobClass>(
  jobClass: C,
  condition: DispatchCondition<InstanceType<C>>,
  expected: boolean,
  args: ConstructorParameters<C>,
): PendingDispatch<InstanceType<C>, JobResult<InstanceType<C>>> | undefined {
  if (typeof condition !== 'function') {
    return Boolean(condition) === expected ? pendingDispatch(new jobClass(...args) as InstanceType<C>) : undefined;
  }
  const job = new jobClass(...args) as InstanceType<C>;
  return Boolean(condition(job)) === expected ? pendingDispatch(job) : undefined;
}

function pendingDispatch<J extends Job, R>(job: J): PendingDispatch<J, R> {
  const app = Application.getInstance();
  return new PendingDispatch<J, R>(job, dispatcherOf(app), app);
}
