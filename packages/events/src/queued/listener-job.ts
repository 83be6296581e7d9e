import { autowire, ShouldQueue } from '@epilogue/bus';
import { Application, type Constructor } from '@epilogue/core';
import { QueuedJob } from '@epilogue/queue';
import type { ListenerJobOptions } from './listener-options.js';

/**
 * The base of the jobs that run listeners on a worker, `CallQueuedListener` and
 * `DispatchQueuedEvent`: each carries the queue options (`connection`, `queue`, `delay`, `tries`,
 * `backoff`...) read from its listener or event when it was dispatched. A subclass is registered
 * with `registerListenerJob()`.
 */
export abstract class ListenerJob extends QueuedJob implements ListenerJobOptions {
  connection?: string;
  queue?: string;
  delay?: number;
  tries?: number;
  maxExceptions?: number;
  backoff?: number | readonly number[];
  timeout?: number;
  failOnTimeout?: boolean;
  retryUntil?: Date;
  afterCommit?: boolean;

  /** @param options - The queue options read from the listener or event. */
  constructor(options: ListenerJobOptions) {
    super();
    Object.assign(this, options);
  }

  /**
   * Runs the listener, or the event's listeners, on the worker.
   *
   * @param app - The application running the job (from the container).
   */
  abstract handle(app: Application): Promise<unknown>;
}

/**
 * Marks a listener job class `@ShouldQueue()`, and has its `handle()` take its parameter from the
 * container of the scope it runs in, as `@autowire(Application)` on the method would say: the
 * right application, even in a process that has several.
 *
 * @param type - The job class; it declares `handle()` itself.
 */
export function registerListenerJob(type: Constructor<ListenerJob>): void {
  const handle = Object.getOwnPropertyDescriptor(type.prototype, 'handle') as PropertyDescriptor;
  autowire(Application)(type.prototype, 'handle', handle);
  ShouldQueue()(type);
}
