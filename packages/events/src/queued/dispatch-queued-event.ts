import type { Application, Pipe } from '@epilogue/core';
// The one import cycle kept on purpose (event-dispatcher → listener-queue → this file → back):
// the dispatcher creates this job, and the job hands its event back to the dispatcher of the
// worker's application. The two classes really do name each other; breaking the cycle would
// need a token or a registration hook that says the same thing less plainly. It is safe: the
// class is only used when a job runs, never while the modules load.
import { InvalidQueuedOptionError } from '../errors.js';
// eslint-disable-next-line import-x/no-cycle -- see above
import { EventDispatcher } from '../event-dispatcher.js';
import { eventNameOf, type EventClass } from '../listeners/event-key.js';
import { ListenerJob, registerListenerJob } from './listener-job.js';
import { declaredMiddleware, type ListenerJobOptions } from './listener-options.js';

/**
 * The job of a queued event (an event class marked `@ShouldQueue()`): on the worker, every
 * listener of the event runs, in order, inside this one job, as `events.dispatchNow(event)`
 * runs them; a listener that returns `false` stops the rest there. It carries the event's own
 * queue options (`connection`, `queue`, `delay`, `tries`, `backoff`..., or what its
 * `viaConnection()`, `viaQueue()` and `withDelay()` answer), and runs through its `middleware()`.
 */
export class DispatchQueuedEvent extends ListenerJob {
  /** A stable name, so that workers of any version of the code find this class. */
  static readonly jobName = 'epilogue.events.dispatch-queued-event';

  event!: object;

  /**
   * @param event - The event.
   * @param options - Its queue options.
   */
  constructor(event: object, options: ListenerJobOptions = {}) {
    super(options);
    this.event = event;
  }

  /** The event's name, shown by workers and in the failed store. */
  displayName(): string {
    return eventNameOf(this.event.constructor as EventClass);
  }

  /**
   * The event's own job middleware: what its `middleware()` returns, called on the worker.
   *
   * @throws {InvalidQueuedOptionError} When `middleware()` did not return a list.
   */
  middleware(): readonly Pipe<object>[] {
    return declaredMiddleware(this.event, [], (detail) => InvalidQueuedOptionError.forEvent(this.displayName(), detail));
  }

  /**
   * Runs every listener of the event now.
   *
   * @param app - The application running the job (from the container).
   * @returns The listeners' results.
   */
  override handle(app: Application): Promise<unknown[]> {
    return app.make(EventDispatcher).dispatchNow(this.event);
  }
}

registerListenerJob(DispatchQueuedEvent);
