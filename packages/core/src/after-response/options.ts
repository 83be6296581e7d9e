import { InvalidAfterResponseOptionError } from '../errors.js';

/** The `afterResponse` option of `new Application()`: how after-response work shares the process with requests. */
export interface AfterResponseOptions {
  /** How many after-response callbacks may run at once, all requests together. Default: 64. */
  concurrency?: number;
  /**
   * How many callbacks of ended requests may wait to start. Beyond it, jobs whose class is
   * registered for the queue go to the `overflow` connection, and `app.afterResponse.overloaded`
   * is true. Default: 10,000.
   */
  maxPending?: number;
  /**
   * A queue connection of `configureQueues()` that takes the jobs beyond `maxPending`, and those
   * a shutdown could not finish in time. Without one, everything waits in memory.
   */
  overflow?: string;
  /** The event-loop lag (ms) above which new starts are held to one per 10 ms. Default: 50. */
  maxLagMs?: number;
}

/** The options with their defaults applied. */
export interface CheckedAfterResponseOptions {
  readonly concurrency: number;
  readonly maxPending: number;
  readonly overflow: string | undefined;
  readonly maxLagMs: number;
}

/**
 * Applies the defaults and checks the ranges.
 *
 * @throws {InvalidAfterResponseOptionError} When an option has the wrong type or range.
 */
export function checkAfterResponseOptions(options: AfterResponseOptions | undefined): CheckedAfterResponseOptions {
  const { concurrency = 64, maxPending = 10_000, overflow, maxLagMs = 50 } = options ?? {};
  const whole = (name: string, value: unknown, min: number) => {
    const ok = typeof value === 'number' && value >= min && (Number.isInteger(value) || value === Infinity);
    if (!ok) throw InvalidAfterResponseOptionError.forOption(name, `a whole number ≥ ${min} (or Infinity)`, value);
  };
  whole('concurrency', concurrency, 1);
  whole('maxPending', maxPending, 0);
  if (typeof maxLagMs !== 'number' || !(maxLagMs > 0)) {
    throw InvalidAfterResponseOptionError.forOption('maxLagMs', 'a number of milliseconds > 0', maxLagMs);
  }
  if (overflow !== undefined && (typeof overflow !== 'string' || overflow === '')) {
    throw InvalidAfterResponseOptionError.forOption('overflow', 'the name of a queue connection', overflow);
  }
  return { concurrency, maxPending, overflow, maxLagMs };
}
