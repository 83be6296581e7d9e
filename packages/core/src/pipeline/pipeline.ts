import pPipe from 'p-pipe';
import type { DependencyContainer, InjectionToken } from '../container.js';
import { InvalidPipeError, NextCalledTwiceError } from '../errors.js';

/** Passes the passable on to the rest of the pipeline and resolves to what the rest returns. */
export type Next<T, R = unknown> = (passable: T) => Promise<R>;

/** A pipe as a function: act before and after `next`, or return without calling it to short-circuit. */
export type PipeFunction<T, R = unknown> = (passable: T, next: Next<T, R>) => R | Promise<R>;

/**
 * A pipe: a function, an object with the pipeline's method (`handle` by default), a class whose
 * instances have that method (resolved from the container, so constructors get injection), or
 * another container token.
 */
export type Pipe<T, R = unknown> =
  | PipeFunction<T, R>
  | { [method: string]: unknown }
  | InjectionToken<unknown>;

type Handler<T, R> = (passable: T) => Promise<R>;
type Layer<T, R> = (inner: Handler<T, R>) => Handler<T, R>;

/**
 * Sends a value through an onion of pipes to a destination. Each pipe gets the value and a
 * `next` to call at most once; code before `next` runs on the way in, code after it on the way out.
 *
 * Resolve it from the container (`app.make(Pipeline)`) so class pipes are built in the current scope.
 *
 * @example
 * const result = await app.make(Pipeline)
 *   .send(order)
 *   .through([Authorize, (order, next) => next(order)])
 *   .then((order) => checkout(order));
 */
export class Pipeline<T = unknown, R = unknown> {
  #passable: T | undefined;
  #pipes: Pipe<T, R>[] = [];
  #method = 'handle';
  readonly #container: DependencyContainer;

  /** @param container - Where class and token pipes are resolved. */
  constructor(container: DependencyContainer) {
    this.#container = container;
  }

  /** Sets the value sent through the pipes. */
  send(passable: T): this {
    this.#passable = passable;
    return this;
  }

  /** Sets the pipes, replacing any set before. */
  through(pipes: readonly Pipe<T, R>[]): this {
    this.#pipes = [...pipes];
    return this;
  }

  /** Adds pipes after those already set. */
  pipe(...pipes: Pipe<T, R>[]): this {
    this.#pipes.push(...pipes);
    return this;
  }

  /** Sets the method called on object and class pipes (`handle` by default). */
  via(method: string): this {
    this.#method = method;
    return this;
  }

  /**
   * Runs the pipes around `destination`.
   *
   * @returns What the outermost pipe returns (the destination's result unless a pipe changed it).
   * @throws {InvalidPipeError} When a pipe is of no usable kind.
   * @throws {NextCalledTwiceError} When a pipe calls `next` twice.
   */
  then(destination: (passable: T) => R | Promise<R>): Promise<R> {
    // Without pipes the destination is called at once: no layers, no promise added around it.
    if (this.#pipes.length === 0) {
      try {
        return Promise.resolve(destination(this.#passable as T));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#thenThroughPipes(destination);
  }

  async #thenThroughPipes(destination: (passable: T) => R | Promise<R>): Promise<R> {
    const core: Handler<T, R> = async (passable) => destination(passable);
    // p-pipe composes left to right, so the innermost layer goes first: the first pipe ends up outermost.
    const layers = this.#pipes.map((pipe) => this.#layer(pipe)).reverse();
    const handler = await (pPipe as (...fns: Layer<T, R>[]) => (input: Handler<T, R>) => Promise<Handler<T, R>>)(
      ...layers,
    )(core);
    return handler(this.#passable as T);
  }

  /** Runs the pipes and resolves to the passable as the last pipe passed it on. */
  thenReturn(): Promise<T> {
    return this.then((passable) => passable as unknown as R) as unknown as Promise<T>;
  }

  #layer(pipe: Pipe<T, R>): Layer<T, R> {
    return (inner) => async (passable) => {
      let called = false;
      const next: Next<T, R> = (value) => {
        if (called) return Promise.reject(NextCalledTwiceError.inPipe(pipeName(pipe)));
        called = true;
        return inner(value);
      };
      return this.#call(pipe, passable, next);
    };
  }

  #call(pipe: Pipe<T, R>, passable: T, next: Next<T, R>): R | Promise<R> {
    const method = this.#method;
    if (typeof pipe === 'function' && !hasMethod(pipe.prototype, method)) {
      return (pipe as PipeFunction<T, R>)(passable, next);
    }
    const target =
      typeof pipe === 'object' && pipe !== null && hasMethod(pipe, method)
        ? pipe
        : this.#resolve(pipe as InjectionToken<unknown>);
    if (!hasMethod(target, method)) throw InvalidPipeError.forPipe(pipe, method);
    return (target as Record<string, PipeFunction<T, R>>)[method](passable, next);
  }

  #resolve(token: InjectionToken<unknown>): unknown {
    if (typeof token !== 'function' && typeof token !== 'string' && typeof token !== 'symbol') {
      throw InvalidPipeError.forPipe(token, this.#method);
    }
    return this.#container.resolve(token);
  }
}

function hasMethod(target: unknown, method: string): boolean {
  return target != null && typeof (target as Record<string, unknown>)[method] === 'function';
}

function pipeName(pipe: unknown): string {
  if (typeof pipe === 'function') return pipe.name || 'anonymous function';
  if (typeof pipe === 'object' && pipe !== null) return pipe.constructor?.name ?? 'object';
  return String(pipe);
}
