import { DispatchResult } from '../dispatch-result.js';

/**
 * A chain being dispatched, returned by `PendingChain.dispatch()`: await it to know that the
 * chain was pushed (queued) or has run (in this process). A failure nobody awaits is sent to the
 * application's reporter, never left as an unhandled rejection.
 */
export class DispatchedChain extends DispatchResult<void> {
  readonly #start: () => Promise<void>;
  readonly #report: (error: unknown) => void;

  /**
   * @param start - Dispatches the chain.
   * @param report - Receives a failure that nobody awaited.
   */
  constructor(start: () => Promise<void>, report: (error: unknown) => void) {
    super();
    this.#start = start;
    this.#report = report;
  }

  protected start(): Promise<void> {
    return this.#start();
  }

  protected report(error: unknown): void {
    this.#report(error);
  }
}
