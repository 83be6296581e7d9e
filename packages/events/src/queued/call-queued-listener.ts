import { Application, type Constructor, type Pipe } from '@epilogue/core';
import { InvalidQueuedOptionError, ListenerNotRegisteredError } from '../errors.js';
import { invokeListener } from '../listeners/listener.js';
import { listenerCatalog } from './listener-catalog.js';
import { ListenerJob, registerListenerJob } from './listener-job.js';
import { declaredMiddleware, type ListenerJobOptions } from './listener-options.js';

// The application a job ran in, for its failed() hook, which the worker calls without one. A
// WeakMap, not a field: a field would travel with the job, and a worker builds jobs without
// running their constructor, so #private members would not exist on them.
const ranIn = new WeakMap<object, Application>();

// The listener built for a run's middleware(), handed on to handle() so that one run builds it once.
const built = new WeakMap<object, object>();

/** What a queued listener's job is built from. */
export interface ListenerCall {
  /** The listener's registered name. */
  readonly listener: string;
  /** The method to call, for a listener given as `[Class, 'method']`; else `handle()`/`__invoke()`. */
  readonly method?: string;
  /** The event's name. */
  readonly eventName: string;
  /** The event object, or a named event's payload. */
  readonly event: unknown;
  /** Whether the listener listens under a wildcard, and so receives `(eventName, event)`. */
  readonly wildcard: boolean;
}

/**
 * The job that runs one queued listener on a worker: it builds the listener class registered
 * under `listener` from the container and calls it with the event. A listener that returns
 * `false` deletes the job, which ends a chain of sequential listeners there. When the job fails
 * for good, the listener's `failed(event, error)` runs.
 *
 * It carries the listener's queue options (`tries`, `backoff`...), read when it was dispatched.
 */
export class CallQueuedListener extends ListenerJob {
  /** A stable name, so that workers of any version of the code find this class. */
  static readonly jobName = 'epilogue.events.call-queued-listener';

  listener!: string;
  method?: string;
  eventName!: string;
  event?: unknown;
  wildcard?: boolean;

  /**
   * @param call - The listener's name, the event and how to call it.
   * @param options - The listener's queue options.
   */
  constructor(call: ListenerCall, options: ListenerJobOptions = {}) {
    super(options);
    this.listener = call.listener;
    // Left out for handle()/__invoke(), so that the payload stays small in the usual case.
    this.method = call.method;
    this.eventName = call.eventName;
    this.event = call.event;
    // Left out when false, so that the payload stays small in the usual case.
    this.wildcard = call.wildcard ? true : undefined;
  }

  /** The listener's name (`Class.method` for `[Class, 'method']`), shown by workers and in the failed store. */
  displayName(): string {
    return this.method === undefined ? this.listener : `${this.listener}.${this.method}`;
  }

  /**
   * The listener's job middleware for this run: what its `middleware(event)` returns, called
   * here, on the worker (the middleware themselves do not travel). The pipes receive this job.
   *
   * @returns The middleware, outermost first; none when the listener declares no `middleware()`.
   * @throws {ListenerNotRegisteredError} When this application does not know the listener's name.
   * @throws {InvalidQueuedOptionError} When `middleware()` did not return a list.
   */
  middleware(): readonly Pipe<object>[] {
    const listener = buildListener(ranIn.get(this) ?? Application.getInstance(), this.listener);
    built.set(this, listener);
    return declaredMiddleware(listener, argumentsOf(this), (detail) =>
      InvalidQueuedOptionError.forListener(this.listener, detail),
    );
  }

  /**
   * Builds the listener and calls it with the event.
   *
   * @param app - The application running the job (from the container).
   * @returns What the listener returned.
   * @throws {ListenerNotRegisteredError} When this application does not know the listener's name.
   */
  override async handle(app: Application): Promise<unknown> {
    ranIn.set(this, app);
    const listener = built.get(this) ?? buildListener(app, this.listener);
    built.delete(this);
    const result = await invokeListener(listener, argumentsOf(this), this.method, this.eventName);
    if (result === false) this.delete();
    return result;
  }

  /** Calls the listener's `failed(event, error)`, once the job failed for good. */
  async failed(error: unknown): Promise<void> {
    const app = ranIn.get(this) ?? Application.getInstance();
    if (listenerCatalog(app).classFor(this.listener) === undefined) return;
    const listener = buildListener(app, this.listener) as { failed?: (...args: unknown[]) => unknown };
    if (typeof listener.failed === 'function') await listener.failed(...argumentsOf(this), error);
  }
}

registerListenerJob(CallQueuedListener);

/**
 * Remembers the application a listener's job was made by, for a run in this process (before
 * `configureQueues()`, on the `sync` connection) outside that application's scopes. A worker's
 * run finds its application from its scope.
 */
export function madeBy(job: CallQueuedListener, app: Application): CallQueuedListener {
  ranIn.set(job, app);
  return job;
}

function buildListener(app: Application, name: string): object {
  const type = listenerCatalog(app).classFor(name);
  if (type === undefined) throw ListenerNotRegisteredError.named(name);
  return app.make(type as Constructor<object>);
}

function argumentsOf(job: CallQueuedListener): unknown[] {
  return job.wildcard ? [job.eventName, job.event] : [job.event];
}
