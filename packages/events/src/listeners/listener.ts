import { isShouldQueue } from '@epilogue/bus';
import type { Constructor } from '@epilogue/core';
import { InvalidListenerError } from '../errors.js';

// Listener parameter types are the caller's to choose; `any` keeps handle(event: OrderShipped) assignable.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** A listener function: called with the event (or, under a wildcard, with the name and the event). */
export type ListenerFunction<A extends unknown[] = any[]> = (...args: A) => unknown;

/** A listener object: its `handle()` is called, else its `__invoke()`. */
export type ListenerObject<A extends unknown[] = any[]> =
  | { handle(...args: A): unknown }
  | { __invoke(...args: A): unknown };

/** A listener class: built by the container (constructor injection) each time it is called. */
export type ListenerClass<A extends unknown[] = any[]> = new (...dependencies: any[]) => ListenerObject<A>;

/**
 * A class and the name of one of its methods, as Laravel's `[Listener::class, 'method']`: the
 * class is built by the container each time, and that method is called instead of `handle()`.
 * A class marked `@ShouldQueue()` is queued, and the worker calls the method.
 *
 * @example
 * events.listen(OrderShipped, [ShipmentNotifications, 'onShipped']);
 */
export type ListenerMethod = readonly [type: new (...dependencies: any[]) => object, method: string];

/**
 * What `listen()` takes as a listener: a function, an object with `handle()`/`__invoke()`, a
 * class whose instances have one, or `[Class, 'method']`. A class marked `@ShouldQueue()` is
 * queued instead of run.
 */
export type Listener<A extends unknown[] = any[]> =
  | ListenerFunction<A>
  | ListenerObject<A>
  | ListenerClass<A>
  | ListenerMethod;

/* eslint-enable @typescript-eslint/no-explicit-any */

/** A listener as registered: what was given, how to call it, and whether it is queued. */
export interface ListenerRef {
  /** The function, object, class or `[Class, 'method']` given to `listen()`. */
  readonly given: unknown;
  /** How it is called: `class` builds `type` and calls `method` on it. */
  readonly kind: 'function' | 'object' | 'class';
  /** For a class: the class the container builds. */
  readonly type?: Constructor;
  /** For a class: the method called, when not `handle()`/`__invoke()`. */
  readonly method?: string;
  /** Whether it is a class marked `ShouldQueue`: pushed to a queue instead of run. */
  readonly queued: boolean;
  /** A readable name for messages and reports. */
  readonly name: string;
}

/**
 * Whether a value is written as `[Class, 'method']`: a list of a class and a string. (A string is
 * never a listener of its own in `listen()`, so such a list cannot mean two listeners there.)
 */
export function isListenerMethod(value: unknown): value is ListenerMethod {
  return (
    Array.isArray(value) && value.length === 2 && typeof value[0] === 'function' && typeof value[1] === 'string'
  );
}

/**
 * Reads one listener given to `listen()`.
 *
 * @param value - The listener.
 * @param event - The event's readable name, for messages.
 * @throws {InvalidListenerError} For a value that cannot be called, an instance of a queued class, or
 *   `[Class, 'method']` whose class has no such method.
 */
export function toListenerRef(value: unknown, event: string): ListenerRef {
  if (isListenerMethod(value)) {
    const [type, method] = value;
    const name = type.name || 'anonymous class';
    if (typeof (type.prototype as Record<string, unknown> | undefined)?.[method] !== 'function') {
      throw InvalidListenerError.missingMethod(event, name, method);
    }
    return { given: value, kind: 'class', type, method, queued: isShouldQueue(type), name: `${name}.${method}` };
  }
  if (typeof value === 'function') {
    const isClassLike = isClassSource(value) || listenerMethod(value.prototype) !== undefined;
    if (!isClassLike) return { given: value, kind: 'function', queued: false, name: value.name || 'anonymous function' };
    if (listenerMethod(value.prototype) === undefined) throw InvalidListenerError.forValue(event, value);
    const name = value.name || 'anonymous class';
    return { given: value, kind: 'class', type: value as Constructor, queued: isShouldQueue(value), name };
  }
  if (typeof value !== 'object' || value === null || listenerMethod(value) === undefined) {
    throw InvalidListenerError.forValue(event, value);
  }
  const name = (value as object).constructor?.name ?? 'object';
  if (isShouldQueue(value)) throw InvalidListenerError.queuedInstance(event, name);
  return { given: value, kind: 'object', queued: false, name };
}

/**
 * The instance a listener is called on: the object itself, or a new one of the class from
 * `make`. Undefined for a function.
 */
export function listenerInstance(ref: ListenerRef, make: <T>(type: Constructor<T>) => T): object | undefined {
  if (ref.kind === 'object') return ref.given as object;
  return ref.kind === 'class' ? (make(ref.type as Constructor) as object) : undefined;
}

/**
 * Calls a listener with the event's arguments.
 *
 * @param ref - The listener.
 * @param args - The event, or the name and the event for a wildcard.
 * @param instance - The object to call, from `listenerInstance()` (for objects and classes).
 * @returns What the listener returned.
 */
export function callListener(ref: ListenerRef, args: readonly unknown[], instance: object | undefined): unknown {
  if (ref.kind === 'function') return (ref.given as (...args: unknown[]) => unknown)(...args);
  return invokeListener(instance as object, args, ref.method);
}

/**
 * Calls a listener object: its `method` when given, else `handle()`, else `__invoke()`.
 *
 * @param event - The event's name, for the message.
 * @throws {InvalidListenerError} When it has no such method (a worker running an older build).
 */
export function invokeListener(instance: object, args: readonly unknown[], method?: string, event = 'the event'): unknown {
  const called = method ?? listenerMethod(instance) ?? 'handle';
  const target = (instance as Record<string, unknown>)[called];
  if (typeof target !== 'function') {
    throw InvalidListenerError.missingMethod(event, instance.constructor?.name ?? 'the listener', called);
  }
  return (target as (...args: unknown[]) => unknown).apply(instance, [...args]);
}

/** The method a listener object is called with: `handle`, else `__invoke`. */
export function listenerMethod(target: unknown): 'handle' | '__invoke' | undefined {
  const methods = target as { handle?: unknown; __invoke?: unknown } | null | undefined;
  if (typeof methods?.handle === 'function') return 'handle';
  if (typeof methods?.__invoke === 'function') return '__invoke';
  return undefined;
}

// Class bodies start with `class`; functions and arrow functions never do.
function isClassSource(value: object): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(value));
}
