/**
 * The longest delay Node's `setTimeout` honours: 2^31 - 1 ms, about 24.8 days. A longer one runs
 * after 1 ms instead, with only a warning (a 30-day job timeout would fire at once).
 */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** A timer from `setLongTimeout()`. */
export interface LongTimer {
  /** Cancels the timer; calling it again, or after it fired, does nothing. */
  clear(): void;
}

/**
 * `setTimeout` for a delay of any length: one longer than Node's limit is waited in steps.
 *
 * @param callback - What to run once the delay has passed.
 * @param ms - The delay in milliseconds.
 * @returns A handle whose `clear()` cancels the timer.
 */
export function setLongTimeout(callback: () => void, ms: number): LongTimer {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = left > LONGEST_TIMER_MS ? setTimeout(() => arm(left - LONGEST_TIMER_MS), LONGEST_TIMER_MS) : setTimeout(callback, left);
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}
