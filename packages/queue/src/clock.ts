/**
 * Where the queue reads the time: dispatch stamps `createdAt` and `retryUntil` with it, and
 * workers compare `retryUntil` against it. Tests pass a clock they move by hand.
 */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
}

/** The clock of the machine: `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() };
