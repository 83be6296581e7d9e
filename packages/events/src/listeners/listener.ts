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
 * What `listen()` takes as a listener: a function, an object with `handle()`/`__invoke()`, or a
 * class whose instances have one. A class marked `@ShouldQueue()` is queued instead of run.
 */
export type Listener<A extends unknown[] = any[]> = ListenerFunction<A> | ListenerObject<A> | ListenerClass<A>;

/* eslint-enable @typescript-eslint/no-explicit-any */

/** A listener as registered: what was given, how to call it, and whether it is queued. */
export interface ListenerRef {
  /** The function, object or class given to `listen()`. */
  readonly given: unknown;
  /** How it is called. */
  readonly kind: 'function' | 'object' | 'class';
  /** Whether it is a class marked `ShouldQueue`: pushed to a queue instead of run. */
  readonly queued: boolean;
  /** A readable name for messages and reports. */
  readonly name: string;
}

/**
 * Reads one listener given to `listen()`.
 *
 * @param value - The listener.
 * @param event - The event's readable name, for messages.
 * @throws {InvalidListenerError} For a value that cannot be called, or an instance of a queued class.
 */
export function toListenerRef(value: unknown, event: string): ListenerRef {
  if (typeof value === 'function') {
    const isClassLike = isClassSource(value) || listenerMethod(value.prototype) !== undefined;
    if (!isClassLike) return { given: value, kind: 'function', queued: false, name: value.name || 'anonymous function' };
    if (listenerMethod(value.prototype) === undefined) throw InvalidListenerError.forValue(event, value);
    return { given: value, kind: 'class', queued: isShouldQueue(value), name: value.name || 'anonymous class' };
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
  return ref.kind === 'class' ? (make(ref.given as Constructor) as object) : undefined;
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
  return invokeListener(instance as object, args);
}

/** Calls `handle()`, else `__invoke()`, of a listener object. */
export function invokeListener(instance: object, args: readonly unknown[]): unknown {
  const method = listenerMethod(instance) ?? 'handle';
  return (instance as Record<string, (...args: unknown[]) => unknown>)[method](...args);
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
