/** A listener of one event of an event map. */
export type Listener<M, E extends keyof M> = (event: M[E]) => void;

/**
 * Typed listener lists for a map of event names to payloads, shared by the bus's job events
 * and the queue worker's events. Emitting costs one number check when nobody listens, so
 * callers can ask `has()` before building a payload.
 */
export class ListenerRegistry<M> {
  readonly #listeners: { [E in keyof M]?: Listener<M, E>[] } = {};
  // Listeners of all events together: with nobody listening (the usual case) this one number
  // answers has() without a lookup by event name.
  #count = 0;

  /**
   * Adds a listener.
   *
   * @returns A function that removes it.
   */
  on<E extends keyof M>(event: E, listener: Listener<M, E>): () => void {
    const list = (this.#listeners[event] ??= []);
    list.push(listener);
    this.#count++;
    return () => {
      const index = list.indexOf(listener);
      if (index < 0) return;
      list.splice(index, 1);
      this.#count--;
    };
  }

  /** Whether anyone listens to `event`. */
  has(event: keyof M): boolean {
    return this.#count > 0 && (this.#listeners[event]?.length ?? 0) > 0;
  }

  /**
   * Calls the listeners of `event` in order. A listener that throws is passed to `onError` and
   * does not stop the others.
   */
  emit<E extends keyof M>(event: E, payload: M[E], onError: (error: unknown) => void): void {
    const list = this.#listeners[event];
    if (list === undefined) return;
    for (const listener of list) {
      try {
        listener(payload);
      } catch (error) {
        onError(error);
      }
    }
  }
}
