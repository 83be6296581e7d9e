/** How a job's delivery ended, from the worker's point of view. */
export type JobStatus = 'completed' | 'deleted' | 'released' | 'failed';

/** A job the worker started. */
export interface JobStarted {
  /** The job's id on the driver. */
  readonly id: string;
  /** The queue it came from. */
  readonly queue: string;
  /** Which attempt this is, from 1. */
  readonly attempts: number;
}

/** A job the worker finished with: one line of a worker's log. */
export interface JobFinished extends JobStarted {
  /** The job's display name, or `(unreadable payload)`. */
  readonly name: string;
  /** What happened to it. */
  readonly status: JobStatus;
  /** How long the attempt took, in milliseconds. */
  readonly durationMs: number;
  /** What it threw or failed with, if anything. */
  readonly error?: unknown;
}

/** The events of a `Worker` and what their listeners receive. */
export interface WorkerEventMap {
  /** A job was delivered and is about to run. */
  processing: JobStarted;
  /** A job's attempt ended (completed, deleted, released or failed). */
  processed: JobFinished;
}

/** A listener of one worker event. */
export type WorkerEventListener<E extends keyof WorkerEventMap> = (event: WorkerEventMap[E]) => void;

type Listeners = { [E in keyof WorkerEventMap]: WorkerEventListener<E>[] };

/** The events of one worker; emitting costs a length check when nobody listens. */
export class WorkerEvents {
  readonly #listeners: Listeners = { processing: [], processed: [] };

  /**
   * Adds a listener.
   *
   * @returns A function that removes it.
   */
  on<E extends keyof WorkerEventMap>(event: E, listener: WorkerEventListener<E>): () => void {
    const list = this.#listeners[event] as WorkerEventListener<E>[];
    list.push(listener);
    return () => {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /**
   * Calls the listeners of `event` in order; one that throws is passed to `onError` and does
   * not stop the others or the job.
   */
  emit<E extends keyof WorkerEventMap>(event: E, payload: WorkerEventMap[E], onError: (error: unknown) => void): void {
    for (const listener of this.#listeners[event] as WorkerEventListener<E>[]) {
      try {
        listener(payload);
      } catch (error) {
        onError(error);
      }
    }
  }
}
