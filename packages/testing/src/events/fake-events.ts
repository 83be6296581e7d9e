import type { Application } from '@epilogue/core';
import { EventDispatcher, eventNameOf, type EventClass } from '@epilogue/events';
import { InvalidFakeOptionError } from '../errors.js';
import { checkNotInstalled, track } from '../support/fakes.js';
import { patchMethods } from '../support/patch.js';
import { EventFake, type DispatchedEvent, type EventMatch, type EventMethod } from './event-fake.js';

/** Options of `fakeEvents()`. */
export interface FakeEventsOptions {
  /** Fake only these events: classes (their instances, exactly) or names. */
  only?: readonly EventMatch[];
  /** Fake every event but these: classes (their instances, exactly) or names. */
  except?: readonly EventMatch[];
}

const NO_RESULTS: Promise<unknown[]> = Promise.resolve([]);
const NO_ANSWER: Promise<unknown> = Promise.resolve(undefined);

/**
 * Fakes the application's event dispatcher: the events it fakes are recorded instead of reaching
 * their listeners (nothing runs, nothing is queued), and the returned `EventFake` asserts on
 * them. `dispatch()` then resolves to no results and `until()` to no answer. Listeners stay
 * registered, so `assertListening()` can check them.
 *
 * As with `fakeBus()`, the fake replaces the dispatch methods on the application's one
 * `EventDispatcher` instance, so services that took it in their constructor see the fake, and
 * `restore()` deletes them again.
 *
 * @param app - The application whose events to fake.
 * @param options - `only`: fake just these events; `except`: fake all but these.
 * @returns The fake, with the assertions and `restore()`.
 * @throws {FakeAlreadyInstalledError} When the events of `app` are already faked.
 * @throws {InvalidFakeOptionError} When `only` or `except` is not a list of classes and names.
 * @example
 * const events = fakeEvents(app, { only: [OrderShipped] });
 * await request(app, listener).post('/orders/7/ship');
 * events.assertDispatched(OrderShipped, (event) => event.orderId === 7);
 */
export function fakeEvents(app: Application, options: FakeEventsOptions = {}): EventFake {
  const fakes = eventFilter(options);
  const dispatcher = app.container.resolve(EventDispatcher);
  checkNotInstalled('fakeEvents', dispatcher);
  const fake = new EventFake(dispatcher, () => undo());
  // Records the event when the fake takes it; false for an event the real dispatcher must take.
  const recorded = (event: object | string, payload: unknown, method: EventMethod) => {
    const record = readEvent(event, payload, method);
    if (record === undefined || !fakes(record)) return false;
    fake.record(record);
    return true;
  };
  const undo = patchMethods(dispatcher, (real) => ({
    dispatch: (event: object | string, payload?: unknown) =>
      recorded(event, payload, 'dispatch') ? NO_RESULTS : real.dispatch(event, payload),
    until: (event: object | string, payload?: unknown) =>
      recorded(event, payload, 'until') ? NO_ANSWER : real.until(event, payload),
    dispatchNow: (event: object | string, payload?: unknown) =>
      recorded(event, payload, 'dispatchNow') ? NO_RESULTS : real.dispatchNow(event, payload),
    dispatchAfterResponse: (event: object | string, payload?: unknown) => {
      if (recorded(event, payload, 'dispatchAfterResponse')) return;
      real.dispatchAfterResponse(event, payload);
    },
  }));
  track(fake, 'fakeEvents', dispatcher);
  return fake;
}

// What was dispatched, as the real dispatcher reads it; undefined for what it would refuse
// (it is passed on, so that the real typed error is thrown).
function readEvent(event: unknown, payload: unknown, method: EventMethod): DispatchedEvent | undefined {
  if (typeof event === 'string') {
    return event === '' ? undefined : { event: payload, type: undefined, name: event, method };
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const type = event.constructor as EventClass | undefined;
  if (typeof type !== 'function' || type === Object) return undefined;
  return { event, type, name: eventNameOf(type), method };
}

function eventFilter(options: FakeEventsOptions): (record: DispatchedEvent) => boolean {
  const only = matchers('only', options.only);
  const except = matchers('except', options.except);
  return (record) => (only === undefined || only(record)) && (except === undefined || !except(record));
}

function matchers(option: string, list: unknown): ((record: DispatchedEvent) => boolean) | undefined {
  if (list === undefined) return undefined;
  const expected = "a list of event classes and names, such as [OrderShipped, 'orders.cancelled']";
  if (!Array.isArray(list)) throw InvalidFakeOptionError.forOption('fakeEvents', option, list, expected);
  const usable = (entry: unknown) => typeof entry === 'function' || (typeof entry === 'string' && entry !== '');
  const unusable = list.findIndex((entry) => !usable(entry));
  if (unusable >= 0) throw InvalidFakeOptionError.forOption('fakeEvents', option, list[unusable], expected);
  const classes = new Set(list.filter((entry) => typeof entry === 'function'));
  const names = new Set(list.filter((entry) => typeof entry === 'string'));
  return (record) => (record.type !== undefined && classes.has(record.type)) || names.has(record.name);
}
