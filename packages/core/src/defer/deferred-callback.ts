/** The function a deferred callback runs. */
export type DeferredFunction = () => unknown;

let counter = 0;

/**
 * A callback registered with `defer()`: it runs after the unit of work succeeded, or always
 * when marked so. Name it to make later registrations under the same name replace it.
 *
 * @example
 * defer(() => audit.flush()).name('audit').always();
 */
export class DeferredCallback {
  readonly #callback: DeferredFunction;
  #name: string;
  #always: boolean;

  /**
   * @param callback - The work to run.
   * @param name - A name; a later registration with the same name wins. Unique when omitted.
   * @param always - Whether it runs even when the work failed (status >= 400, non-zero exit).
   */
  constructor(callback: DeferredFunction, name?: string, always = false) {
    this.#callback = callback;
    this.#name = name ?? `deferred#${++counter}`;
    this.#always = always;
  }

  /** Reads the name. */
  name(): string;
  /** Renames the callback; returns it for chaining. */
  name(name: string): this;
  name(name?: string): string | this {
    if (name === undefined) return this.#name;
    this.#name = name;
    return this;
  }

  /**
   * Makes the callback run even when the work failed (status >= 400, non-zero exit code).
   *
   * @param always - `false` undoes it.
   * @returns The callback, for chaining.
   */
  always(always = true): this {
    this.#always = always;
    return this;
  }

  /** Whether it runs even after a failure. */
  get runsAlways(): boolean {
    return this.#always;
  }

  /** Runs the callback. */
  invoke(): unknown {
    return this.#callback();
  }
}
