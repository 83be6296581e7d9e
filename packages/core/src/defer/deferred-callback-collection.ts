import type { ReportsTo } from '../scope/scope-owner.js';
import type { DeferredCallback } from './deferred-callback.js';

/**
 * The deferred callbacks of one scope. When several share a name, only the last registered one
 * is kept, at its own position; duplicates are dropped lazily, when the collection is read.
 */
export class DeferredCallbackCollection {
  #callbacks: DeferredCallback[] = [];
  #dirty = false;

  /**
   * Adds a callback; a same-named earlier one will be dropped.
   *
   * @returns The callback, for chaining `.name()` and `.always()`.
   */
  add(callback: DeferredCallback): DeferredCallback {
    this.#callbacks.push(callback);
    this.#dirty = true;
    return callback;
  }

  /** The first callback that will run, if any. */
  first(): DeferredCallback | undefined {
    return this.#unique()[0];
  }

  /** Drops every callback with this name. */
  forget(name: string): void {
    this.#callbacks = this.#callbacks.filter((callback) => callback.name() !== name);
  }

  /**
   * How many callbacks will run, after duplicates are dropped.
   *
   * @param when - Counts only the callbacks that pass it.
   */
  count(when?: (callback: DeferredCallback) => boolean): number {
    if (this.#callbacks.length === 0) return 0;
    const unique = this.#unique();
    return when === undefined ? unique.length : unique.filter(when).length;
  }

  /** The callbacks that will run, in order, after duplicates are dropped. */
  all(): readonly DeferredCallback[] {
    return this.#unique();
  }

  /** Removes every callback and returns those that would run, in order (duplicates dropped). */
  takeAll(): DeferredCallback[] {
    const taken = this.#unique();
    this.#callbacks = [];
    return taken;
  }

  /** Runs every callback and empties the collection. */
  invoke(scope?: ReportsTo): Promise<void> {
    return this.invokeWhen(() => true, scope);
  }

  /**
   * Runs the callbacks that pass `when`, in order, and discards all of them. A failing callback
   * is reported (through `scope`'s application, when given) and the rest still run. Callbacks
   * registered while this runs are handled the same way before it resolves.
   *
   * @param when - Decides, per callback, whether it runs.
   * @param scope - The scope whose reporter and context receive errors.
   */
  async invokeWhen(when: (callback: DeferredCallback) => boolean, scope?: ReportsTo): Promise<void> {
    while (this.#callbacks.length > 0) {
      for (const callback of this.takeAll()) {
        if (!when(callback)) continue;
        try {
          await callback.invoke();
        } catch (error) {
          if (!scope) throw error;
          scope.app.report(error, { ...scope.reportContext('deferred'), callback: callback.name() });
        }
      }
    }
  }

  #unique(): DeferredCallback[] {
    if (!this.#dirty) return this.#callbacks;
    const seen = new Set<string>();
    const kept: DeferredCallback[] = [];
    for (let i = this.#callbacks.length - 1; i >= 0; i--) {
      const callback = this.#callbacks[i];
      if (seen.has(callback.name())) continue;
      seen.add(callback.name());
      kept.push(callback);
    }
    this.#callbacks = kept.reverse();
    this.#dirty = false;
    return this.#callbacks;
  }
}
