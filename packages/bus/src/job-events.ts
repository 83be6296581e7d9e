/** How a job was handed to the dispatcher. */
export type DispatchMode = 'now' | 'sync' | 'after-response' | 'queue';

/** The job lifecycle events and what their listeners receive. */
export interface JobEventMap {
  /** A job was handed to the dispatcher (before it runs or is queued). */
  dispatched: { job: object; mode: DispatchMode };
  /** A job is about to run in this process. */
  processing: { job: object };
  /** A job ran and returned. */
  processed: { job: object; result: unknown };
  /** A job threw or rejected. */
  failed: { job: object; error: unknown };
}

/** A listener of one job lifecycle event. */
export type JobEventListener<E extends keyof JobEventMap> = (event: JobEventMap[E]) => void;

type Listeners = { [E in keyof JobEventMap]: JobEventListener<E>[] };

/**
 * The job lifecycle events of one dispatcher. Emitting costs one length check when nobody
 * listens, so the events are always on.
 */
export class JobEvents {
  readonly #listeners: Listeners = { dispatched: [], processing: [], processed: [], failed: [] };
  // Listeners of all events together: the bus asks has() several times per job, and with nobody
  // listening (the usual case) this one number answers without a lookup by event name.
  #count = 0;

  /**
   * Adds a listener.
   *
   * @returns A function that removes it.
   */
  on<E extends keyof JobEventMap>(event: E, listener: JobEventListener<E>): () => void {
    const list = this.#listeners[event] as JobEventListener<E>[];
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
  has(event: keyof JobEventMap): boolean {
    return this.#count > 0 && this.#listeners[event].length > 0;
  }

  /**
   * Calls the listeners of `event` in order. A listener that throws is passed to `onError` and
   * does not stop the others or the job.
   */
  emit<E extends keyof JobEventMap>(event: E, payload: JobEventMap[E], onError: (error: unknown) => void): void {
    for (const listener of this.#listeners[event] as JobEventListener<E>[]) {
      try {
        listener(payload);
      } catch (error) {
        onError(error);
      }
    }
  }
}
