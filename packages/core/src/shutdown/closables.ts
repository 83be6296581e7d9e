import { CloseTimeoutError } from '../errors.js';
import type { ErrorReporter } from '../reporter.js';

/** Something `app.shutdown()` closes once the work has drained: a queue driver, a thread pool, a client. */
export interface Closable {
  /** Releases the resource; may be called more than once (later calls do nothing). */
  close(): unknown;
}

interface Entry {
  readonly closable: Closable;
  readonly label: string;
}

/** How a list names its entries in reports: the context key, and the error for one that timed out. */
export interface ClosablesNaming {
  /** The key of the report context that holds an entry's label (`resource`, `hook`). */
  readonly contextKey: string;
  /** The error reported for an entry still closing at the deadline. */
  readonly timedOut: (label: string) => Error;
}

const RESOURCES: ClosablesNaming = { contextKey: 'resource', timedOut: (label) => CloseTimeoutError.forResource(label) };

/**
 * What an application closes at the end of its shutdown (resources, or its `onShutdown` hooks),
 * in the reverse order of their registration (what was opened last, and may use what was opened
 * before it, closes first). Each close is isolated (a throw is reported, the others still close)
 * and the whole is bounded by a deadline, so that one that never closes cannot hold the shutdown
 * forever.
 */
export class Closables {
  readonly #entries: Entry[] = [];
  readonly #report: ErrorReporter;
  readonly #naming: ClosablesNaming;
  #closed: Promise<void> | undefined;

  /**
   * @param report - Where close failures and timeouts go.
   * @param naming - How reports name the entries; resources by default.
   */
  constructor(report: ErrorReporter, naming: ClosablesNaming = RESOURCES) {
    this.#report = report;
    this.#naming = naming;
  }

  /**
   * Adds a resource. Once the list has been closed, the resource is closed at once instead,
   * since no later shutdown would close it.
   *
   * @returns A function that removes it (to close it yourself instead).
   */
  add(closable: Closable, label: string): () => void {
    const entry = { closable, label };
    if (this.#closed !== undefined) {
      void this.#closeOne(entry, Infinity);
      return () => undefined;
    }
    this.#entries.push(entry);
    return () => {
      const index = this.#entries.indexOf(entry);
      if (index >= 0) this.#entries.splice(index, 1);
    };
  }

  /**
   * Closes every entry once, last added first, and gives up on those still closing at
   * `deadline` (a `performance.now()` time; each is reported as timed out). One still closing
   * then does not keep the next from being closed. Later calls return the same promise.
   */
  close(deadline: number): Promise<void> {
    return (this.#closed ??= this.#closeAll(deadline));
  }

  async #closeAll(deadline: number): Promise<void> {
    for (const entry of this.#entries.splice(0).reverse()) await this.#closeOne(entry, deadline - performance.now());
  }

  // Never rejects: a failure or a timeout is reported.
  async #closeOne({ closable, label }: Entry, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (!Number.isFinite(timeoutMs)) return;
      // Unref'd: a resource that hangs must not be what keeps the process alive.
      timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
      timer.unref();
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => closable.close()), timedOut]);
      if (outcome === 'timeout') this.#report(this.#naming.timedOut(label), this.#context(label));
    } catch (error) {
      this.#report(error, this.#context(label));
    } finally {
      clearTimeout(timer);
    }
  }

  #context(label: string) {
    return { phase: 'shutdown', scope: 'root', [this.#naming.contextKey]: label };
  }
}
