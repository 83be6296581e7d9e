/**
 * The awaitable result of a dispatch that starts on its own: `start()` runs once, on a
 * microtask after the code that created it, so that options set in the same statement apply
 * and a caller that awaits it has called `then()` by the time it can fail. A failure nobody
 * awaits goes to `report()`, never to an unhandled rejection.
 */
export abstract class DispatchResult<R> implements PromiseLike<R> {
  readonly #result: Promise<R>;
  #observed = false;

  constructor() {
    this.#result = new Promise<R>((resolve, reject) => {
      queueMicrotask(() => {
        // Handled: the failure is rejected to the caller or reported (report() never throws).
        void this.start().then(resolve, (error: unknown) => {
          if (!this.#observed) this.report(error);
          reject(error);
        });
      });
    });
    // The rejection is either observed by an awaiting caller or reported: never unhandled.
    this.#result.catch(() => undefined);
  }

  /** Performs the dispatch; called once. */
  protected abstract start(): Promise<R>;

  /** Receives a failure nobody awaited; must not throw (hand it to the application's reporter). */
  protected abstract report(error: unknown): void;

  then<T = R, E = never>(
    onFulfilled?: ((value: R) => T | PromiseLike<T>) | null,
    onRejected?: ((reason: unknown) => E | PromiseLike<E>) | null,
  ): Promise<T | E> {
    this.#observed = true;
    return this.#result.then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`. */
  catch<E = never>(onRejected: (reason: unknown) => E | PromiseLike<E>): Promise<R | E> {
    return this.then(undefined, onRejected);
  }
}

/**
 * A `DispatchResult` whose dispatch and reporter are functions given to it: what chains and
 * batches return from `dispatch()`.
 */
export class StartedDispatch<R> extends DispatchResult<R> {
  readonly #start: () => Promise<R>;
  readonly #report: (error: unknown) => void;

  /**
   * @param start - Performs the dispatch.
   * @param report - Receives a failure that nobody awaited; must not throw.
   */
  constructor(start: () => Promise<R>, report: (error: unknown) => void) {
    super();
    this.#start = start;
    this.#report = report;
  }

  protected start(): Promise<R> {
    return this.#start();
  }

  protected report(error: unknown): void {
    this.#report(error);
  }
}
