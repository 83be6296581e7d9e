import type { DependencyContainer, InjectionToken } from '../container.js';
import { InvalidPipeError, NextCalledTwiceError } from '../errors.js';

/** Passes the passable on to the rest of the pipeline and resolves to what the rest returns. */
export type Next<T, R = unknown> = (passable: T) => Promise<R>;

/** A pipe as a function: act before and after `next`, or return without calling it to short-circuit. */
export type PipeFunction<T, R = unknown> = (passable: T, next: Next<T, R>) => R | Promise<R>;

/**
 * A pipe: a function, an object with the pipeline's method (`handle` by default) or else an
 * `__invoke` method, a class whose instances have one of those (resolved from the container, so
 * constructors get injection), or another container token.
 */
export type Pipe<T, R = unknown> =
  | PipeFunction<T, R>
  | { [method: string]: unknown }
  | InjectionToken<unknown>;

/**
 * A list of pipes composed once: call it with the passable, the destination and where class
 * pipes are resolved, as often as needed.
 *
 * @returns What the outermost pipe returns (the destination's result unless a pipe changed it).
 */
export type ComposedPipes<T, R = unknown> = (
  passable: T,
  destination: (passable: T) => R | Promise<R>,
  container: () => DependencyContainer,
) => Promise<R>;

// A pipe of any kind, turned into one call shape when the list is composed.
type Layer<T, R> = (passable: T, next: Next<T, R>, container: () => DependencyContainer) => R | Promise<R>;

/**
 * Composes pipes into one function, once: each pipe gets the passable and a `next` that runs
 * the pipes after it and finally the destination. Code before `next` runs on the way in, code
 * after it on the way out; a pipe that returns without calling `next` short-circuits. Calling
 * `next` twice rejects with `NextCalledTwiceError`; a pipe of no usable kind rejects with
 * `InvalidPipeError` when it is reached. A pipe that throws rejects the returned promise.
 *
 * `Pipeline` and the bus use it; call it yourself to run the same pipes many times.
 *
 * @param pipes - The pipes, outermost first (the list is copied: changing it later changes nothing).
 * @param method - The method called on object and class pipes.
 * @example
 * const run = composePipes<Order>([authorize, audit]);
 * await run(order, (order) => checkout(order), () => app.container);
 */
export function composePipes<T, R = unknown>(pipes: readonly Pipe<T, R>[], method = 'handle'): ComposedPipes<T, R> {
  const list = [...pipes];
  const layers = list.map((pipe) => layerOf(pipe, method));
  return (passable, destination, container) => new Run(list, layers, destination, container).enter(0, passable);
}

// One call of a composed list. A call makes this object and one `next` per pipe it reaches,
// nothing else: a promise that a layer or the destination returns is passed on as it is (only a
// plain value is wrapped, since `next` promises a promise), so a pass-through pipe adds no tick.
class Run<T, R> {
  // The highest layer entered so far: entering one at or below it again means a second `next`.
  #entered = -1;

  constructor(
    readonly pipes: readonly Pipe<T, R>[],
    readonly layers: readonly Layer<T, R>[],
    readonly destination: (passable: T) => R | Promise<R>,
    readonly container: () => DependencyContainer,
  ) {}

  enter(index: number, passable: T): Promise<R> {
    if (index <= this.#entered) return Promise.reject(NextCalledTwiceError.inPipe(pipeName(this.pipes[index - 1])));
    this.#entered = index;
    try {
      if (index === this.layers.length) return Promise.resolve(this.destination(passable));
      return Promise.resolve(this.layers[index](passable, nextOf(this, index + 1), this.container));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

// The `next` given to a layer: enters the layer after it, in the same run.
function nextOf<T, R>(run: Run<T, R>, index: number): Next<T, R> {
  return (passable) => run.enter(index, passable);
}

function layerOf<T, R>(pipe: Pipe<T, R>, method: string): Layer<T, R> {
  if (typeof pipe === 'function' && !isClass(pipe, method)) {
    // Called with exactly the two arguments a pipe function is documented to take.
    const fn = pipe as PipeFunction<T, R>;
    return (passable, next) => fn(passable, next);
  }
  const own = typeof pipe === 'object' && pipe !== null ? methodOf(pipe, method) : undefined;
  if (own !== undefined) {
    const target = pipe as Record<string, PipeFunction<T, R>>;
    return (passable, next) => target[own](passable, next);
  }
  if (typeof pipe !== 'function' && typeof pipe !== 'string' && typeof pipe !== 'symbol') {
    return () => {
      throw InvalidPipeError.forPipe(pipe, method);
    };
  }
  // A class or another token: resolved where the pipeline runs, every time, as the container decides.
  return (passable, next, container) => {
    const target = container().resolve(pipe as InjectionToken<unknown>);
    const name = methodOf(target, method);
    if (name === undefined) {
      throw typeof pipe === 'function' ? InvalidPipeError.forClass(pipe.name, method) : InvalidPipeError.forPipe(pipe, method);
    }
    return (target as Record<string, PipeFunction<T, R>>)[name](passable, next);
  };
}

// The method called on an object or class pipe: the pipeline's, else `__invoke`, as Laravel
// calls an invokable pipe (and as the bus calls jobs and handlers).
function methodOf(target: unknown, method: string): string | undefined {
  if (hasMethod(target, method)) return method;
  return hasMethod(target, '__invoke') ? '__invoke' : undefined;
}

// A class is built by the container, never called: one with either method, or any `class`
// declaration (so that one with neither gets InvalidPipeError rather than a TypeError). Arrow
// and async functions have no prototype: they are known without reading their source, which
// matters for job middleware, composed on every run.
function isClass(fn: object, method: string): boolean {
  const prototype = (fn as { prototype?: unknown }).prototype;
  if (prototype === undefined) return false;
  if (methodOf(prototype, method) !== undefined) return true;
  return Function.prototype.toString.call(fn as () => unknown).startsWith('class');
}

function hasMethod(target: unknown, method: string): boolean {
  return target != null && typeof (target as Record<string, unknown>)[method] === 'function';
}

function pipeName(pipe: unknown): string {
  if (typeof pipe === 'function') return pipe.name || 'anonymous function';
  if (typeof pipe === 'object' && pipe !== null) return pipe.constructor?.name ?? 'object';
  return String(pipe);
}
