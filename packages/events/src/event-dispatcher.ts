import { holdUntilCommit, isShouldQueue, wantsAfterCommit } from '@epilogue/bus';
import { bindPerApplication, type Application, type Constructor } from '@epilogue/core';
import { jobRegistry } from '@epilogue/queue';
import { EventBuffer } from './defer/event-buffer.js';
import { InvalidListenerError, InvalidSubscriberError } from './errors.js';
import {
  eventNameOf,
  keyName,
  readEvent,
  toKeys,
  type DispatchedEvent,
  type EventClass,
  type EventKey,
} from './listeners/event-key.js';
import {
  callListener,
  isListenerMethod,
  listenerInstance,
  toListenerRef,
  type Listener,
  type ListenerRef,
} from './listeners/listener.js';
import { ListenerTable, type Registration } from './listeners/listener-table.js';
import { listenerCatalog } from './queued/listener-catalog.js';
import { wantsEvent } from './queued/listener-options.js';
// eslint-disable-next-line import-x/no-cycle -- kept on purpose, see queued/dispatch-queued-event.ts
import { ListenerQueue } from './queued/listener-queue.js';

/** Options of `listen()`. */
export interface ListenOptions {
  /**
   * Run the listeners given in this call as one ordered sequence. When any of them is queued,
   * they are pushed as a chain: each is queued only once the one before it succeeded and did not
   * return `false`. Every listener of a queued sequence must be a class.
   */
  sequential?: boolean;
}

/**
 * A subscriber: registers several listeners at once from its `subscribe(events)` method, which
 * calls `events.listen()`, or returns a map of events to listeners (see `SubscriberMap`), or both.
 */
export interface Subscriber {
  /** Calls `events.listen()` for each event it handles, or returns a map of them. */
  subscribe(events: EventDispatcher): unknown;
}

/**
 * What a subscriber's `subscribe()` may return, as in Laravel: events (a `Map` for classes, an
 * object for names) to listeners, a listener being a function, class, object or
 * `[Class, 'method']` as `listen()` takes, or the name of a method of the subscriber; or a list
 * of them. A value `[Class, 'name']` is Class's method when Class has it, else (as in Laravel)
 * the class and the subscriber's method `name`.
 *
 * @example
 * subscribe(): SubscriberMap {
 *   return new Map([[OrderShipped, 'onShipped'], [OrderCancelled, [RefundOrder, 'onCancelled']]]);
 * }
 */
export type SubscriberMap =
  | ReadonlyMap<EventKey, SubscribedListener | readonly SubscribedListener[]>
  | Readonly<Record<string, SubscribedListener | readonly SubscribedListener[]>>;

/** A listener in a `SubscriberMap`: what `listen()` takes, or the name of a method of the subscriber. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SubscribedListener = Listener<any[]> | string;

// Listener and event arguments are the caller's to type; `any` keeps untyped uses easy.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Listeners<A extends unknown[]> = Listener<A> | readonly Listener<A>[];
type NameListeners<N extends string> = N extends `${string}*${string}` ? Listeners<[string, any]> : Listeners<[any]>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** How one dispatch runs. */
interface RunMode {
  /** Stop at the first result that is neither null nor undefined, and return it (`until`). */
  readonly until: boolean;
  /** Run queued listeners here and now too (`dispatchNow`, and queued events on the worker). */
  readonly inline: boolean;
}

interface RunOutcome {
  readonly results: unknown[];
  readonly answer?: unknown;
}

const DISPATCH: RunMode = { until: false, inline: false };
const UNTIL: RunMode = { until: true, inline: false };
const NOW: RunMode = { until: false, inline: true };

/**
 * The event dispatcher of one application. Get it with `app.make(EventDispatcher)` or take it
 * in a constructor; there is one per application.
 *
 * - `listen(EventClass | 'name' | 'orders.*', listener)`: a function, an object with
 *   `handle()`/`__invoke()`, or a class built by the container. Listeners of a class also hear
 *   its subclasses; wildcard listeners receive `(eventName, event)`.
 * - `dispatch(event)`: runs the listeners in registration order, awaiting each, and resolves to
 *   their results; a listener that returns `false` stops the rest. `until(event)` resolves to
 *   the first result that is not null or undefined.
 * - Listener classes marked `@ShouldQueue()` are pushed to a queue instead; an event class
 *   marked `@ShouldQueue()` is pushed as one job that runs all its listeners on the worker.
 *
 * @example
 * const events = app.make(EventDispatcher);
 * events.listen(RegisterReservation, [StoreReservation, SendReservationEmail], { sequential: true });
 * await events.dispatch(new RegisterReservation(formId, guestReservationId));
 */
export class EventDispatcher {
  readonly #app: Application;
  readonly #table = new ListenerTable();
  readonly #buffer = new EventBuffer();
  readonly #queue: ListenerQueue;
  readonly #make = <T>(type: Constructor<T>): T => this.#app.make(type);

  /** @param app - The application whose container builds listener classes. */
  constructor(app: Application) {
    this.#app = app;
    this.#queue = new ListenerQueue(app);
  }

  /**
   * Registers listeners of an event class, an event name or a wildcard (`*` matches anything,
   * dots included). Listener classes are built by the container each time they run. Queued
   * listener classes are registered, by their `listenerName` or class name, so that a worker of
   * this application can build them, and so is the event class they listen to.
   *
   * @param events - An event class, a name, a wildcard, or a list of them.
   * @param listeners - A listener or a list of them, called in the order given.
   * @param options - `sequential: true` to run them as one ordered sequence (a chain, when queued).
   * @returns A function that removes these listeners.
   * @throws {InvalidEventError} For an event that is not a class or a name.
   * @throws {InvalidListenerError} For a listener that cannot be called, or cannot be queued as asked.
   * @throws {DuplicateListenerNameError} When another queued listener class has the same name.
   * @example
   * events.listen(OrderShipped, SendShipmentEmail);
   * events.listen('orders.*', (name, payload) => audit.log(name, payload));
   * events.listen(RegisterReservation, [StoreReservation, SendReservationEmail], { sequential: true });
   */
  listen<E extends object>(events: EventClass<E>, listeners: Listeners<[E]>, options?: ListenOptions): () => void;
  listen<N extends string>(events: N, listeners: NameListeners<N>, options?: ListenOptions): () => void;
  listen(events: readonly EventKey[], listeners: Listeners<unknown[]>, options?: ListenOptions): () => void;
  listen(events: unknown, listeners: unknown, options: ListenOptions = {}): () => void {
    const keys = toKeys(events);
    const label = keys.map(keyName).join(', ');
    const list = Array.isArray(listeners) && !isListenerMethod(listeners) ? listeners : [listeners];
    if (list.length === 0) throw InvalidListenerError.forValue(label, listeners);
    const refs = list.map((listener) => toListenerRef(listener, label));
    const sequential = readSequential(options);
    const queuedSequence = sequential && refs.some((ref) => ref.queued);
    if (queuedSequence) {
      const stuck = refs.find((ref) => ref.kind !== 'class');
      if (stuck !== undefined) throw InvalidListenerError.notQueueable(label, stuck.given);
    }
    const travelling = refs.filter((ref) => ref.queued || queuedSequence);
    if (travelling.length > 0) this.#registerForWorkers(keys, travelling, label);
    return this.#table.add(keys, refs, sequential);
  }

  /**
   * Registers a subscriber: a class (built by the container) or an object whose
   * `subscribe(events)` calls `events.listen()` for the events it handles, or returns a map of
   * events to listeners (`SubscriberMap`: a string listener names a method of the subscriber).
   *
   * @throws {InvalidSubscriberError} For anything without a `subscribe()` method, a map that names
   *   a method the subscriber does not have, a `[Class, 'name']` value whose `name` both have, or a
   *   `subscribe()` that returned a promise or a list.
   */
  subscribe(subscriber: Constructor<Subscriber> | Subscriber): void {
    const instance: unknown =
      typeof subscriber === 'function' && typeof subscriber.prototype?.subscribe === 'function'
        ? this.#make(subscriber)
        : subscriber;
    if (typeof (instance as Subscriber | null)?.subscribe !== 'function' || typeof instance === 'function') {
      throw InvalidSubscriberError.forValue(subscriber);
    }
    const map = (instance as Subscriber).subscribe(this);
    this.#listenToMap(instance as Subscriber, map);
  }

  // What subscribe() returned, in the form Laravel's docs show: a map of events to listeners,
  // where a string is a method of the subscriber. An unsubscribe function or nothing is ignored.
  #listenToMap(subscriber: Subscriber, map: unknown): void {
    if (map === undefined || map === null || typeof map === 'function' || typeof map !== 'object') return;
    const owner = subscriber.constructor?.name ?? 'subscriber';
    if (typeof (map as PromiseLike<unknown>).then === 'function') throw InvalidSubscriberError.returnedPromise(owner);
    if (Array.isArray(map)) throw InvalidSubscriberError.returnedList(owner);
    const entries: [unknown, unknown][] = map instanceof Map ? [...map] : Object.entries(map);
    for (const [event, listeners] of entries) {
      const list = (mapValueIsPair(subscriber, owner, listeners) ? [listeners] : [listeners].flat()).map((listener: unknown) => {
        if (typeof listener !== 'string') return listener;
        const method = (subscriber as unknown as Record<string, unknown>)[listener];
        if (typeof method !== 'function') throw InvalidSubscriberError.missingMethod(owner, listener);
        return (...args: unknown[]) => method.apply(subscriber, args);
      });
      this.listen(event as EventKey[], list as Listeners<unknown[]>);
    }
  }

  /**
   * Whether any listener would hear the event: an event object or class (its own listeners,
   * those of its parent classes, of its name and of matching wildcards), or an event name.
   */
  hasListeners(event: EventClass | object | string): boolean {
    return this.#matching(event).length > 0;
  }

  /** The listeners, as given to `listen()`, that would hear the event, in the order they run. */
  getListeners(event: EventClass | object | string): unknown[] {
    return this.#matching(event).flatMap((registration) => registration.listeners.map((ref) => ref.given));
  }

  /** Removes every listener registered under this class, name or wildcard (exactly this key). */
  forget(event: EventKey): void {
    for (const key of toKeys(event)) this.#table.forget(key);
  }

  /**
   * Dispatches an event to its listeners, in registration order, awaiting each. A listener that
   * returns `false` stops the ones after it. A listener that throws stops them too, and the
   * error rejects this call. Queued listeners are pushed (see `ListenOptions` for sequences);
   * an event class marked `ShouldQueue` is pushed as one job.
   *
   * @param event - An event object, or an event name.
   * @param payload - For a named event: what its listeners receive.
   * @returns The results of the listeners that ran now, in order (not the `false` that stopped
   *   them); an empty list for a queued event, or one held by `defer()`.
   * @throws {InvalidEventError} (as a rejection) For anything else than an event object or a name.
   * @throws {EventNotSerializableError} (as a rejection) When the event cannot be queued.
   */
  dispatch(event: object | string, payload?: unknown): Promise<unknown[]> {
    return this.#fire(event, payload, DISPATCH).then((outcome) => outcome.results);
  }

  /**
   * Dispatches an event until a listener answers: resolves to the first result that is neither
   * null nor undefined (`false` included), and runs no listener after it.
   *
   * @returns The answer, or undefined when no listener gave one.
   */
  until(event: object | string, payload?: unknown): Promise<unknown> {
    return this.#fire(event, payload, UNTIL).then((outcome) => outcome.answer);
  }

  /**
   * Runs every listener of the event here and now, queued listeners and queued events included,
   * in registration order; `false` stops the rest. It is how a queued event runs on the worker.
   *
   * @returns The results of the listeners, in order.
   */
  dispatchNow(event: object | string, payload?: unknown): Promise<unknown[]> {
    return this.#fire(event, payload, NOW).then((outcome) => outcome.results);
  }

  /**
   * Dispatches the event once the current response was sent (after the current command or job,
   * in those scopes; at `app.terminate()` outside any scope). Errors are reported, never thrown.
   *
   * @throws {InvalidEventError} For anything else than an event object or a name.
   */
  dispatchAfterResponse(event: object | string, payload?: unknown): void {
    const { name } = readEvent(event, payload);
    this.#app.currentScope().terminating(() => this.dispatch(event, payload), `event ${name}`);
  }

  /**
   * Runs `callback`, holding the events dispatched inside it (in its asynchronous context), and
   * dispatches them in order once it returned. When it throws, they are dropped.
   *
   * @param callback - The work whose events are held.
   * @param events - Hold only these events (classes, names, wildcards); every event when omitted.
   * @returns What `callback` returned, once the held events were dispatched.
   * @example
   * await events.defer(async () => {
   *   await orders.create(order);
   *   await events.dispatch(new OrderCreated(order.id)); // held until the callback returned
   * });
   */
  defer<T>(callback: () => T | Promise<T>, events?: readonly EventKey[]): Promise<T> {
    return this.#buffer.run(callback, events === undefined ? undefined : toKeys(events));
  }

  async #fire(event: unknown, payload: unknown, mode: RunMode): Promise<RunOutcome> {
    const target = readEvent(event, payload);
    if (!mode.inline) {
      const replay = () => this.#fire(event, payload, mode);
      // An event with `afterCommit = true` (Laravel's ShouldDispatchAfterCommit) waits for the commit.
      if (wantsAfterCommit(target.value) && holdUntilCommit(this.#app, replay, { event: target.name })) {
        return { results: [] };
      }
      if (this.#buffer.hold(target.type, target.name, replay)) return { results: [] };
      if (target.type !== undefined && isShouldQueue(target.type)) {
        await this.#queue.pushEvent(target);
        return { results: [] };
      }
    }
    return this.#run(target, mode);
  }

  async #run(target: DispatchedEvent, mode: RunMode): Promise<RunOutcome> {
    const results: unknown[] = [];
    for (const registration of this.#table.matching(target.type, target.name)) {
      const args = registration.wildcard ? [target.name, target.value] : [target.value];
      if (!mode.inline && registration.sequential && registration.listeners.some((ref) => ref.queued)) {
        await this.#queue.pushSequence(registration.listeners, target, registration.wildcard);
        continue;
      }
      for (const ref of registration.listeners) {
        if (ref.queued && !mode.inline) {
          await this.#queue.push(ref, target, registration.wildcard);
          continue;
        }
        const ran = await this.#call(ref, args);
        if (ran === SKIPPED) continue;
        if (mode.until && ran !== undefined && ran !== null) return { results, answer: ran };
        if (ran === false) return { results };
        results.push(ran);
      }
    }
    return { results };
  }

  // A queued listener run here (dispatchNow, a queued event on its worker) still has its
  // shouldQueue() asked: it says whether the listener wants the event at all.
  async #call(ref: ListenerRef, args: readonly unknown[]): Promise<unknown> {
    const instance = listenerInstance(ref, this.#make);
    if (ref.queued && !(await wantsEvent(instance as object, args))) return SKIPPED;
    // A listener with `afterCommit = true` (Laravel's ShouldHandleEventsAfterCommit) runs once the
    // transaction around the dispatch committed; its result is then no one's to read.
    const later = () => callListener(ref, args, instance);
    if (wantsAfterCommit(instance) && holdUntilCommit(this.#app, later, { listener: ref.name })) {
      return SKIPPED;
    }
    return callListener(ref, args, instance);
  }

  #matching(event: unknown): readonly Registration[] {
    if (typeof event === 'function') return this.#table.matching(event as EventClass, eventNameOf(event as EventClass));
    const target = readEvent(event, undefined);
    return this.#table.matching(target.type, target.name);
  }

  // A worker builds a queued listener from its name and the event from its class: both must be
  // known to this application's registries, in the dispatching process as on the worker.
  #registerForWorkers(keys: readonly EventKey[], refs: readonly ListenerRef[], label: string): void {
    const catalog = listenerCatalog(this.#app);
    for (const ref of refs) catalog.add(ref.type as Constructor, label);
    const classes = keys.filter((key): key is EventClass => typeof key === 'function');
    if (classes.length > 0) jobRegistry(this.#app).register(classes as unknown as Constructor[]);
  }
}

// A subscriber map's value [Class, 'name'] reads, as in Laravel, as two listeners: the class, and
// the subscriber's method `name`. It is one listener, Class's method `name`, when Class has that
// method; when both have it, it could be either, and is refused.
function mapValueIsPair(subscriber: Subscriber, owner: string, value: unknown): boolean {
  if (!isListenerMethod(value)) return false;
  const [type, method] = value;
  if (typeof (type.prototype as Record<string, unknown> | undefined)?.[method] !== 'function') return false;
  if (typeof (subscriber as unknown as Record<string, unknown>)[method] === 'function') {
    throw InvalidSubscriberError.ambiguousPair(owner, type.name, method);
  }
  return true;
}

// What #call returns for a listener that declined the event: not a result, and not a halt.
const SKIPPED = Symbol('skipped');

function readSequential(options: ListenOptions): boolean {
  const sequential = (options as ListenOptions | null)?.sequential ?? false;
  if (typeof sequential !== 'boolean') throw InvalidListenerError.forOption('sequential', 'a boolean', sequential);
  return sequential;
}

bindPerApplication(EventDispatcher, (app) => new EventDispatcher(app));
