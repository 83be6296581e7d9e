/**
 * The state that job middleware and unique jobs share between workers: owned locks and counters
 * over a time window. Every operation is atomic in the store, so two workers (two machines, on
 * a shared store such as Redis) never both take one lock, and never both count the same hit.
 *
 * Keys are chosen by the callers (`overlap:…`, `rate:…`, `throttle:…`, `unique:…`); a store
 * may prefix them but must not otherwise change them. Locks and counters never share a key.
 *
 * @module
 */

/** A counter's state: how many hits its current window holds, and when the window ends. */
export interface CounterState {
  /** Hits in the current window; 0 when there is no window. */
  readonly count: number;
  /** Milliseconds until the window ends and the count starts again from 0; 0 when there is no window. */
  readonly resetInMs: number;
}

/**
 * Atomic locks and counters with expiry. `MemoryAtomicStore` keeps them in this process;
 * `RedisAtomicStore` (in `@epilogue/bullmq`) keeps them in Redis, so they hold across machines.
 * Every store passes `describeAtomicStore()`.
 */
export interface AtomicStore {
  /**
   * Takes the lock `key` for `owner`, unless anyone (`owner` included) holds it.
   *
   * @param key - The lock's key.
   * @param owner - Who takes it: only this owner may `release()` it.
   * @param ttlMs - Milliseconds after which the lock frees itself; omitted, it lasts until released.
   * @returns Whether the lock was taken.
   */
  acquire(key: string, owner: string, ttlMs?: number): Promise<boolean>;

  /**
   * Frees the lock `key` when `owner` holds it; a lock that expired and was taken by someone
   * else is left alone.
   *
   * @returns Whether `owner` held it.
   */
  release(key: string, owner: string): Promise<boolean>;

  /** Who holds the lock `key`, or `undefined` when it is free. */
  owner(key: string): Promise<string | undefined>;

  /**
   * Counts one hit on the counter `key`. The first hit opens a window of `decayMs`; later hits
   * within it add to the count without moving its end; after it ends the count starts again.
   *
   * @returns The count including this hit, and the time left in the window.
   */
  hit(key: string, decayMs: number): Promise<CounterState>;

  /** Reads the counter `key` without counting a hit. */
  peek(key: string): Promise<CounterState>;

  /** Deletes the lock or counter `key`, whoever holds it. */
  clear(key: string): Promise<void>;
}
