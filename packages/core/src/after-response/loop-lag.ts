// How often the lag is sampled while after-response work is held.
const INTERVAL_MS = 10;

/**
 * Measures how late the event loop runs a 10 ms timer: the time the loop spent on something
 * else (requests, or a callback's synchronous work). It samples only while started, and its
 * timer never keeps the process alive.
 */
export class LoopLag {
  /** The lag measured by the last sample, in milliseconds. */
  lagMs = 0;
  readonly #maxLagMs: number;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;

  /** @param maxLagMs - The lag above which `lagging` is true. */
  constructor(maxLagMs: number) {
    this.#maxLagMs = maxLagMs;
  }

  /** Whether the last sample was over the limit. */
  get lagging(): boolean {
    return this.lagMs > this.#maxLagMs;
  }

  /** Starts sampling (again); does nothing when it runs already. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = performance.now();
    this.#timer = setInterval(this.#sample, INTERVAL_MS);
    this.#timer.unref();
  }

  /** Stops sampling and forgets the last sample. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.lagMs = 0;
  }

  readonly #sample = (): void => {
    const now = performance.now();
    this.lagMs = Math.max(0, now - this.#last - INTERVAL_MS);
    this.#last = now;
  };
}
