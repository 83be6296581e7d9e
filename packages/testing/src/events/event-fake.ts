import type { EventDispatcher } from '@epilogue/events';
import { describeValue, nameOf } from '../assertions/describe-value.js';
import { assertionFailure } from '../assertions/failure.js';
import type { AnyClass, Caller, Expectation, Predicate, RecordKind } from '../assertions/records.js';
import { RecordingFake } from '../assertions/recording-fake.js';
import { InvalidExpectationError } from '../errors.js';

/** What an event assertion names: an event class (its instances, exactly), or an event name. */
export type EventMatch = AnyClass | string;

/** The `EventDispatcher` method a recorded event was handed to. */
export type EventMethod = 'dispatch' | 'until' | 'dispatchNow' | 'dispatchAfterResponse';

/** An event the fake dispatcher received instead of calling its listeners. */
export interface DispatchedEvent<E = unknown> {
  /** What listeners would have received: the event object, or a named event's payload. */
  readonly event: E;
  /** The event's class; undefined for a named event. */
  readonly type: AnyClass | undefined;
  /** The event's name: its class's `eventName` (else class name), or the name dispatched. */
  readonly name: string;
  /** How it was dispatched. */
  readonly method: EventMethod;
}

const DISPATCHED_EVENTS: RecordKind<DispatchedEvent, EventMatch> = {
  noun: 'event',
  title: 'Dispatched events',
  nothing: 'No event was dispatched.',
  subject: (record) => record.event,
  matches: (record, key) => (typeof key === 'string' ? record.name === key : record.type === key),
  keyName: (key) => (typeof key === 'string' ? `the event '${key}'` : nameOf(key)),
  checkKey: checkEventKey,
  line: describeRecord,
};

/**
 * The fake `EventDispatcher` installed by `fakeEvents()`: it records the events it fakes
 * instead of calling their listeners, and asserts on them. An assertion names events by class
 * (instances of exactly that class) or by name (`'orders.shipped'`, or a class's `eventName`).
 *
 * @example
 * const events = fakeEvents(app);
 * await shipOrder(7);
 * events.assertDispatched(OrderShipped, (event) => event.orderId === 7);
 */
export class EventFake extends RecordingFake<DispatchedEvent, EventMatch> {
  readonly #dispatcher: EventDispatcher;

  /**
   * @param dispatcher - The real dispatcher, whose listeners `assertListening` reads.
   * @param undo - Puts the real dispatcher's methods back.
   */
  constructor(dispatcher: EventDispatcher, undo: () => void) {
    super(DISPATCHED_EVENTS, undo);
    this.#dispatcher = dispatcher;
  }

  /**
   * The recorded events of a class (or name), in order, that pass `predicate` when given.
   *
   * @example
   * expect(events.dispatched(OrderShipped).map((event) => event.orderId)).toEqual([7]);
   */
  dispatched<E extends object>(event: AnyClass<E>, predicate?: Predicate<E, DispatchedEvent<E>>): E[];
  dispatched(event: string, predicate?: Predicate<unknown, DispatchedEvent>): unknown[];
  dispatched(event: EventMatch, predicate?: Predicate<never, DispatchedEvent<never>>): unknown[] {
    const caller = this.caller(this.dispatched);
    return this.recorded.subjects(caller, event, predicate as Predicate<unknown, DispatchedEvent>);
  }

  /**
   * Asserts that an event of a class (or name) was dispatched, any way; with a predicate (which
   * receives the event, or a named event's payload), that one passes it; with a number, that
   * exactly that many were.
   *
   * @throws {AssertionError} Listing what was dispatched.
   */
  assertDispatched<E extends object>(event: AnyClass<E>, expectation?: Expectation<E, DispatchedEvent<E>>): void;
  assertDispatched(event: string, expectation?: Expectation<unknown, DispatchedEvent>): void;
  assertDispatched(event: EventMatch, expectation?: Expectation<never, DispatchedEvent<never>>): void {
    const caller = this.caller(this.assertDispatched);
    this.recorded.assertSome(caller, event, expectation as Expectation<unknown, DispatchedEvent>, 'dispatched');
  }

  /** Asserts that exactly `count` events of a class (or name) were dispatched. */
  assertDispatchedTimes(event: EventMatch, count: number): void {
    this.recorded.assertCount(this.caller(this.assertDispatchedTimes), event, count, 'dispatched');
  }

  /** Asserts that no event of a class (or name), passing `predicate` when given, was dispatched. */
  assertNotDispatched<E extends object>(event: AnyClass<E>, predicate?: Predicate<E, DispatchedEvent<E>>): void;
  assertNotDispatched(event: string, predicate?: Predicate<unknown, DispatchedEvent>): void;
  assertNotDispatched(event: EventMatch, predicate?: Predicate<never, DispatchedEvent<never>>): void {
    const caller = this.caller(this.assertNotDispatched);
    this.recorded.assertNone(caller, event, predicate as Predicate<unknown, DispatchedEvent>, 'dispatched');
  }

  /** Asserts that no event was dispatched at all. */
  assertNothingDispatched(): void {
    this.recorded.assertEmpty(this.caller(this.assertNothingDispatched), 'dispatched');
  }

  /**
   * Asserts that `listener` is registered for the event (a class, an event object's class, or a
   * name): among the listeners the real dispatcher would call for it, as given to `listen()`,
   * those of parent classes and matching wildcards included.
   *
   * @param event - The event class or name.
   * @param listener - The listener class, function, object or `[Class, 'method']` given to `listen()`.
   * @example
   * events.assertListening(OrderShipped, SendShipmentEmail);
   * events.assertListening(OrderShipped, [ShipmentNotifications, 'onShipped']);
   */
  assertListening(event: EventMatch, listener: unknown): void {
    const caller = this.caller(this.assertListening);
    checkEventKey(caller, event);
    if (listener === undefined || listener === null) {
      const what = 'a listener class, function or object as its second argument';
      throw InvalidExpectationError.forArgument(caller.name, what, listener);
    }
    const listeners = this.#dispatcher.getListeners(event);
    if (listeners.some((registered) => sameListener(registered, listener))) return;
    const name = typeof event === 'string' ? `'${event}'` : nameOf(event);
    const actual = listeners.map(listenerName);
    const found = listeners.length === 0 ? 'it has no listeners' : `its listeners are ${actual.join(', ')}`;
    const message = `Expected ${listenerName(listener)} to listen to ${name}, but ${found}.`;
    const expected = [...actual, listenerName(listener)];
    throw assertionFailure({ message, stackStartFn: caller.fn, actual, expected, operator: 'deepStrictEqual' });
  }
}

function checkEventKey(caller: Caller, key: unknown): void {
  if (typeof key === 'function' || (typeof key === 'string' && key !== '')) return;
  const what = "an event class or an event name as its first argument, such as OrderShipped or 'orders.shipped'";
  throw InvalidExpectationError.forArgument(caller.name, what, key);
}

function describeRecord(record: DispatchedEvent): string {
  if (record.type !== undefined) return `${describeValue(record.event)} (${record.method})`;
  const payload = record.event === undefined ? '' : ` with ${describeValue(record.event)}`;
  return `'${record.name}'${payload} (${record.method})`;
}

// The same listener, as given to listen(); `[Class, 'method']` equals another list of the same two.
function sameListener(registered: unknown, expected: unknown): boolean {
  if (registered === expected) return true;
  return isPair(registered) && isPair(expected) && registered[0] === expected[0] && registered[1] === expected[1];
}

function isPair(value: unknown): value is readonly [unknown, unknown] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'function' && typeof value[1] === 'string';
}

function listenerName(listener: unknown): string {
  if (isPair(listener)) return `[${listenerName(listener[0])}, '${String(listener[1])}']`;
  if (typeof listener === 'function') return listener.name || 'an anonymous function';
  if (typeof listener === 'object' && listener !== null) return `a ${listener.constructor?.name ?? 'listener'} object`;
  return String(listener);
}
