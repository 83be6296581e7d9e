import type { Application } from '@epilogue/core';
import { systemClock, type Clock } from '../clock.js';
import type { AtomicStore, CounterState } from './atomic-store.js';

/** Options of `new MemoryAtomicStore()`. */
export interface MemoryAtomicStoreOptions {
  /** Where expiry times are read. Default: the system clock; tests pass one they move by hand. */
  clock?: Clock;
}

interface Entry {
  readonly value: string | number;
  /** Milliseconds since the epoch; `Infinity` for a lock without expiry. */
  readonly expiresAt: number;
}

const NO_WINDOW: CounterState = { count: 0, resetInMs: 0 };

// Expired entries are dropped when read; every this many writes, all of them are swept, so keys
// that are never read again (a user's rate window, say) do not pile up.
const SWEEP_EVERY = 1000;

/**
 * Locks and counters in this process's memory. Operations are atomic because they run without
 * awaiting anything in between; the state holds for the workers of one process only. It is the
 * store of every connection whose driver brings none.
 *
 * @example
 * const store = new MemoryAtomicStore();
 * await store.acquire('report', 'worker-1', 60_000); // true
 * await store.acquire('report', 'worker-2', 60_000); // false: worker-1 holds it
 */
export class MemoryAtomicStore implements AtomicStore {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  #writes = 0;

  /** @param options - The clock. */
  constructor(options: MemoryAtomicStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async acquire(key: string, owner: string, ttlMs?: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#write(key, { value: owner, expiresAt: ttlMs === undefined ? Infinity : this.#clock.now() + ttlMs });
    return true;
  }

  async release(key: string, owner: string): Promise<boolean> {
    if (this.#live(key)?.value !== owner) return false;
    this.#entries.delete(key);
    return true;
  }

  async owner(key: string): Promise<string | undefined> {
    const value = this.#live(key)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async hit(key: string, decayMs: number): Promise<CounterState> {
    const entry = this.#live(key);
    const now = this.#clock.now();
    const count = typeof entry?.value === 'number' ? entry.value + 1 : 1;
    const expiresAt = count === 1 ? now + decayMs : entry!.expiresAt;
    this.#write(key, { value: count, expiresAt });
    return { count, resetInMs: expiresAt - now };
  }

  async peek(key: string): Promise<CounterState> {
    const entry = this.#live(key);
    if (typeof entry?.value !== 'number') return NO_WINDOW;
    return { count: entry.value, resetInMs: entry.expiresAt - this.#clock.now() };
  }

  async clear(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt > this.#clock.now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #write(key: string, entry: Entry): void {
    this.#entries.set(key, entry);
    if (++this.#writes % SWEEP_EVERY !== 0) return;
    const now = this.#clock.now();
    for (const [stored, { expiresAt }] of this.#entries) if (expiresAt <= now) this.#entries.delete(stored);
  }
}

/**
 * The memory store of an application, made on first use: the store of every connection whose
 * driver brings none, and of job middleware run without a queue before queues are configured.
 *
 * @param app - The application.
 */
export function applicationMemoryStore(app: Application): MemoryAtomicStore {
  return app.singleton(MemoryAtomicStore, () => new MemoryAtomicStore());
}
