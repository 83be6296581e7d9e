import { Dispatcher } from '@epilogue/bus';
import type { Application, Constructor } from '@epilogue/core';
import { InvalidJobOptionError, JobNotSerializableError, jobRegistry, QueueManager } from '@epilogue/queue';
import { EventNotRegisteredError, EventNotSerializableError, InvalidQueuedOptionError } from '../errors.js';
import type { DispatchedEvent } from '../listeners/event-key.js';
import type { ListenerRef } from '../listeners/listener.js';
import { CallQueuedListener, madeBy } from './call-queued-listener.js';
// eslint-disable-next-line import-x/no-cycle -- kept on purpose, see dispatch-queued-event.ts
import { DispatchQueuedEvent } from './dispatch-queued-event.js';
import { listenerCatalog } from './listener-catalog.js';
import { readQueueOptions, wantsEvent } from './listener-options.js';

/**
 * Sends queued listeners and queued events to the bus as jobs: one `CallQueuedListener` per
 * queued listener, a chain of them for sequential listeners, one `DispatchQueuedEvent` per
 * queued event. The bus pushes them to their connections, or, before `configureQueues()`, runs
 * them at once, as it does any `ShouldQueue` job.
 *
 * With queues configured, what a worker could not build again is refused before anything is
 * pushed: an event class that is not registered, a field that cannot be serialized, an unusable
 * option. Each is a typed error that names the event or the listener.
 */
export class ListenerQueue {
  readonly #app: Application;

  /** @param app - The application whose bus, container and registries are used. */
  constructor(app: Application) {
    this.#app = app;
  }

  /**
   * Pushes one queued listener's job, unless its `shouldQueue()` declines the event.
   *
   * @param ref - The listener: a class marked `ShouldQueue`.
   * @param event - The event.
   * @param wildcard - Whether it listens under a wildcard.
   */
  async push(ref: ListenerRef, event: DispatchedEvent, wildcard: boolean): Promise<void> {
    const job = await this.#jobFor(ref, event, wildcard);
    if (job === undefined) return;
    this.#check(job, event);
    await this.#bus().dispatch(job);
  }

  /**
   * Pushes sequential listeners as a chain: each is pushed once the one before it succeeded and
   * did not return `false`. Before `configureQueues()` they run now, one after another, with
   * the same rule. Listeners whose `shouldQueue()` declines the event are left out.
   *
   * @param refs - The listeners, classes, in order.
   * @param event - The event.
   * @param wildcard - Whether they listen under a wildcard.
   */
  async pushSequence(refs: readonly ListenerRef[], event: DispatchedEvent, wildcard: boolean): Promise<void> {
    const jobs: CallQueuedListener[] = [];
    for (const ref of refs) {
      const job = await this.#jobFor(ref, event, wildcard);
      if (job !== undefined) jobs.push(job);
    }
    if (jobs.length === 0) return;
    const bus = this.#bus();
    if (!bus.hasQueueResolver()) {
      // Without queues a queued job only runs at once; `false` cannot delete it, so it is read here.
      for (const job of jobs) if ((await bus.dispatchSync(job)) === false) return;
      return;
    }
    for (const job of jobs) this.#check(job, event);
    await bus.chain(jobs).dispatch();
  }

  /**
   * Pushes a queued event as one job, with the event's own queue options.
   *
   * @param event - The event, an instance of a class marked `ShouldQueue`.
   */
  async pushEvent(event: DispatchedEvent): Promise<void> {
    const value = event.value as object;
    const options = readQueueOptions(value, (detail) => InvalidQueuedOptionError.forEvent(event.name, detail));
    const job = new DispatchQueuedEvent(value, options);
    this.#check(job, event);
    await this.#bus().dispatch(job);
  }

  async #jobFor(ref: ListenerRef, event: DispatchedEvent, wildcard: boolean): Promise<CallQueuedListener | undefined> {
    const args = wildcard ? [event.name, event.value] : [event.value];
    // Built here, as on the worker, to read its options and ask shouldQueue(); then dropped.
    const listener = this.#app.make(ref.type as Constructor<object>);
    if (!(await wantsEvent(listener, args))) return undefined;
    const name = listenerCatalog(this.#app).add(ref.type as Constructor, event.name);
    const options = readQueueOptions(listener, (detail) => InvalidQueuedOptionError.forListener(name, detail), args);
    const call = { listener: name, method: ref.method, eventName: event.name, event: event.value, wildcard };
    return madeBy(new CallQueuedListener(call, options), this.#app);
  }

  #check(job: CallQueuedListener | DispatchQueuedEvent, event: DispatchedEvent): void {
    const manager = this.#manager();
    if (manager === undefined) return;
    if (event.type !== undefined && !jobRegistry(this.#app).has(event.type as unknown as Constructor)) {
      throw EventNotRegisteredError.forClass(event.name);
    }
    const bound = job instanceof CallQueuedListener ? `the listener ${job.listener}` : 'a queued event';
    try {
      manager.payloads.payloadOf(job);
    } catch (error) {
      if (error instanceof JobNotSerializableError && /^event(\.|\[|$)/.test(error.path)) {
        const path = error.path.replace(/^event\.?/, '') || '(the payload itself)';
        throw EventNotSerializableError.at(event.name, bound, path, error);
      }
      if (error instanceof InvalidJobOptionError) {
        throw job instanceof CallQueuedListener
          ? InvalidQueuedOptionError.forListener(job.listener, error)
          : InvalidQueuedOptionError.forEvent(event.name, error);
      }
      throw error;
    }
  }

  #manager(): QueueManager | undefined {
    if (!this.#bus().hasQueueResolver() || !this.#app.container.isRegistered(QueueManager, true)) return undefined;
    return this.#app.container.resolve(QueueManager);
  }

  #bus(): Dispatcher {
    return this.#app.container.resolve(Dispatcher);
  }
}
