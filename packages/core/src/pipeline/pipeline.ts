import type { DependencyContainer } from '../container.js';
import { composePipes, type ComposedPipes, type Pipe } from './compose.js';

export type { Next, Pipe, PipeFunction } from './compose.js';

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
  // The pipes composed by the first then(); through(), pipe() and via() start over.
  #composed: ComposedPipes<T, R> | undefined;
  readonly #container: DependencyContainer;
  readonly #containerOf = () => this.#container;

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
    this.#composed = undefined;
    return this;
  }

  /** Adds pipes after those already set. */
  pipe(...pipes: Pipe<T, R>[]): this {
    this.#pipes.push(...pipes);
    this.#composed = undefined;
    return this;
  }

  /** Sets the method called on object and class pipes (`handle` by default). */
  via(method: string): this {
    this.#method = method;
    this.#composed = undefined;
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
    this.#composed ??= composePipes(this.#pipes, this.#method);
    return this.#composed(this.#passable as T, destination, this.#containerOf);
  }

  /** Runs the pipes and resolves to the passable as the last pipe passed it on. */
  thenReturn(): Promise<T> {
    return this.then((passable) => passable as unknown as R) as unknown as Promise<T>;
  }
}
