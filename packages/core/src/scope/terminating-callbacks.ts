import type { Step } from './step.js';

/** A callback that runs after the response was sent (or the command or job ended). */
export type TerminatingCallback = () => unknown;

/**
 * The terminating callbacks of one scope waiting to start, in the order they were registered.
 * Each is a step of the scope's end; callbacks added while earlier ones run are taken too.
 */
export class TerminatingCallbacks {
  #steps: Step[] = [];
  #next = 0;

  /**
   * @param callback - The work to run.
   * @param label - A readable name for reports (a job's name, for instance).
   * @param work - The job behind the callback, which may go to the overflow queue instead.
   */
  push(callback: TerminatingCallback, label?: string, work?: object): void {
    this.#steps.push({ phase: 'terminating', label: label ?? (callback.name || 'anonymous callback'), work, call: callback });
  }

  /** Puts a step taken earlier back at the end. */
  putBack(step: Step): void {
    this.#steps.push(step);
  }

  /** How many callbacks have not started yet. */
  get pending(): number {
    return this.#steps.length - this.#next;
  }

  /** The next callback to start, if any. */
  take(): Step | undefined {
    if (this.#next < this.#steps.length) return this.#steps[this.#next++];
    // Drop what has run, so that a long-lived scope does not keep every callback forever.
    if (this.#next > 0) {
      this.#steps = [];
      this.#next = 0;
    }
    return undefined;
  }

  /** Removes the waiting callbacks whose job passes `accepts`, and returns them. */
  takeWhere(accepts: (work: object) => boolean): Step[] {
    const taken: Step[] = [];
    const kept = this.#steps.slice(this.#next).filter((step) => {
      const queueable = step.work !== undefined && accepts(step.work);
      if (queueable) taken.push(step);
      return !queueable;
    });
    this.#steps = kept;
    this.#next = 0;
    return taken;
  }

  /** Readable names of the callbacks that have not started. */
  labels(): string[] {
    return this.#steps.slice(this.#next).map((step) => step.label);
  }
}
