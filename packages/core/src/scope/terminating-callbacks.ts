import type { ErrorContext, ErrorReporter } from '../reporter.js';

/** Where a failing callback is reported: the reporter, and the context of the scope it ran in. */
export interface ReportsTo {
  readonly app: { readonly report: ErrorReporter };
  reportContext(phase: string): ErrorContext;
}

/** A callback that runs after the response was sent (or the command or job ended). */
export type TerminatingCallback = () => unknown;

interface Entry {
  callback: TerminatingCallback;
  label: string | undefined;
}

/**
 * An ordered list of terminating callbacks, drained with an index loop so that callbacks added
 * while draining also run. Each callback is isolated: a throw or rejection is reported and the
 * next one still runs.
 */
export class TerminatingCallbacks {
  #entries: Entry[] = [];
  #next = 0;
  #running: Entry | undefined;
  #draining: Promise<void> | undefined;
  #looping = false;

  /**
   * @param callback - The work to run.
   * @param label - A readable name for reports (a job's name, for instance).
   */
  push(callback: TerminatingCallback, label?: string): void {
    this.#entries.push({ callback, label });
  }

  /** How many callbacks have not started yet. */
  get pending(): number {
    return this.#entries.length - this.#next;
  }

  /** Readable names of the callback that is running and those that have not started. */
  unfinished(): string[] {
    const rest = this.#entries.slice(this.#next);
    const all = this.#running ? [this.#running, ...rest] : rest;
    return all.map((entry) => entry.label ?? (entry.callback.name || 'anonymous callback'));
  }

  /**
   * Runs every callback not run yet, in order, including those added while draining.
   *
   * @param scope - Where a failing callback's error is reported (its context is built only then).
   */
  drain(scope: ReportsTo): Promise<void> {
    // One loop at a time: a drain asked for while one runs is served by the running loop.
    if (this.#draining !== undefined) return this.#draining;
    const draining = this.#drain(scope);
    // The loop may already be over (nothing to run, or callbacks that all threw at once).
    if (this.#looping) this.#draining = draining;
    return draining;
  }

  async #drain(scope: ReportsTo): Promise<void> {
    this.#looping = true;
    try {
      while (this.#next < this.#entries.length) {
        const entry = this.#entries[this.#next++];
        this.#running = entry;
        try {
          await entry.callback();
        } catch (error) {
          const context = scope.reportContext('terminating');
          scope.app.report(error, { ...context, phase: 'terminating', callback: entry.label ?? entry.callback.name });
        }
      }
    } finally {
      this.#running = undefined;
      // Drop what has run so a long-lived root scope does not keep every callback forever.
      this.#entries = [];
      this.#next = 0;
      this.#looping = false;
      this.#draining = undefined;
    }
  }
}
