import type { DispatchCondition } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { EventDispatcher } from './event-dispatcher.js';

// Event constructor parameters are the caller's to choose; `any` keeps them inferred.
/* eslint-disable @typescript-eslint/no-explicit-any */
type EventConstructor = new (...args: any[]) => object;
type AbstractConstructor = abstract new (...args: any[]) => object;
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * Adds Laravel's `Dispatchable` statics to an event class's base: `dispatch(...args)` builds the
 * event with those arguments and dispatches it through the event dispatcher of the current
 * application (the one of the current scope, else the last one created, as `Job.dispatch()`
 * finds it); `dispatchIf()` and `dispatchUnless()` do so on a condition. Extend
 * `DispatchableEvent` instead when the event needs no other base class.
 *
 * @param Base - The class the event would extend otherwise.
 * @returns A subclass of `Base` with the statics.
 * @example
 * class OrderShipped extends Dispatchable(DomainEvent) {
 *   constructor(public orderId: number) { super(); }
 * }
 * await OrderShipped.dispatch(42);
 */
export function Dispatchable<B extends AbstractConstructor>(Base: B) {
  abstract class DispatchableBase extends Base {
    /**
     * Builds the event from the arguments and dispatches it, as `events.dispatch(new this(...args))`.
     *
     * @returns The results of the listeners that ran now, as `dispatch()` resolves.
     * @throws {NoApplicationError} When no application exists.
     */
    static dispatch<C extends EventConstructor>(this: C, ...args: ConstructorParameters<C>): Promise<unknown[]> {
      return eventsOfTheApplication().dispatch(new this(...args));
    }

    /**
     * Dispatches like `dispatch()` when `condition` holds (a function receives the built event).
     *
     * @returns The listeners' results, or `undefined` when nothing was dispatched.
     * @throws {NoApplicationError} When no application exists.
     */
    static dispatchIf<C extends EventConstructor>(
      this: C,
      condition: DispatchCondition<InstanceType<C>>,
      ...args: ConstructorParameters<C>
    ): Promise<unknown[] | undefined> {
      return dispatchWhen(new this(...args) as InstanceType<C>, condition, true);
    }

    /**
     * Dispatches like `dispatch()` unless `condition` holds (a function receives the built event).
     *
     * @returns The listeners' results, or `undefined` when nothing was dispatched.
     * @throws {NoApplicationError} When no application exists.
     */
    static dispatchUnless<C extends EventConstructor>(
      this: C,
      condition: DispatchCondition<InstanceType<C>>,
      ...args: ConstructorParameters<C>
    ): Promise<unknown[] | undefined> {
      return dispatchWhen(new this(...args) as InstanceType<C>, condition, false);
    }
  }
  return DispatchableBase;
}

/**
 * A base class for events with Laravel's `Dispatchable` statics: `OrderShipped.dispatch(order)`
 * dispatches `new OrderShipped(order)` through the current application's event dispatcher, and
 * resolves to what `events.dispatch()` resolves to. `dispatchIf(condition, ...args)` and
 * `dispatchUnless(condition, ...args)` dispatch on a condition (a boolean, or a test of the
 * built event). Without an application they throw `NoApplicationError`.
 *
 * @example
 * class OrderShipped extends DispatchableEvent {
 *   constructor(public orderId: number) { super(); }
 * }
 * await OrderShipped.dispatch(42);
 * await OrderShipped.dispatchIf((event) => event.orderId > 0, 42);
 */
export abstract class DispatchableEvent extends Dispatchable(class {}) {}

// The application's dispatcher, found the way Job.dispatch() finds the bus.
function eventsOfTheApplication(): EventDispatcher {
  return Application.getInstance().make(EventDispatcher);
}

// dispatchIf (when the condition is `expected`) and dispatchUnless (when it is not). Without an
// application it throws, as dispatch() does, whatever the condition.
function dispatchWhen<E extends object>(
  event: E,
  condition: DispatchCondition<E>,
  expected: boolean,
): Promise<unknown[] | undefined> {
  const events = eventsOfTheApplication();
  const holds = typeof condition === 'function' ? condition(event) : condition;
  return Boolean(holds) === expected ? events.dispatch(event) : Promise.resolve(undefined);
}
