import { autowire, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { QueuedJob } from '@epilogue/queue';
// A cycle, on purpose: the dispatcher creates this job, and the job hands its event back to the
// dispatcher of the worker's application. The class is only used when a job runs, never while
// the modules load.
import { EventDispatcher } from '../event-dispatcher.js';
import { eventNameOf, type EventClass } from '../listeners/event-key.js';
import type { ListenerJobOptions } from './listener-options.js';

/**
 * The job of a queued event (an event class marked `@ShouldQueue()`): on the worker, every
 * listener of the event runs, in order, inside this one job, as `events.dispatchNow(event)`
 * runs them; a listener that returns `false` stops the rest there. It carries the event's own
 * queue options (`connection`, `queue`, `delay`, `tries`, `backoff`...).
 */
export class DispatchQueuedEvent extends QueuedJob implements ListenerJobOptions {
  /** A stable name, so that workers of any version of the code find this class. */
  static readonly jobName = 'epilogue.events.dispatch-queued-event';

  event!: object;
  connection?: string;
  queue?: string;
  delay?: number;
  tries?: number;
  maxExceptions?: number;
  backoff?: number | readonly number[];
  timeout?: number;
  failOnTimeout?: boolean;
  retryUntil?: Date;

  /**
   * @param event - The event.
   * @param options - Its queue options.
   */
  constructor(event: object, options: ListenerJobOptions = {}) {
    super();
    Object.assign(this, options);
    this.event = event;
  }

  /** The event's name, shown by workers and in the failed store. */
  displayName(): string {
    return eventNameOf(this.event.constructor as EventClass);
  }

  /**
   * Runs every listener of the event now.
   *
   * @param app - The application running the job (from the container).
   * @returns The listeners' results.
   */
  handle(app: Application): Promise<unknown[]> {
    return app.make(EventDispatcher).dispatchNow(this.event);
  }
}

// handle()'s parameter comes from the container, as `@autowire(Application)` on it would say.
autowire(Application)(
  DispatchQueuedEvent.prototype,
  'handle',
  Object.getOwnPropertyDescriptor(DispatchQueuedEvent.prototype, 'handle') as PropertyDescriptor,
);
ShouldQueue()(DispatchQueuedEvent);
