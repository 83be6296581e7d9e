/**
 * The restart signal of `epilogue queue:restart`: a value under one key of a connection's
 * `AtomicStore` (in Redis for the BullMQ driver, in the application's memory otherwise) that
 * every `Worker` of the connection reads when it starts and again on a timer. When the value
 * differs from the one it saw at start, the worker takes no new job, lets its running jobs
 * finish and stops, with the reason `restart`; a process manager (systemd, Kubernetes, pm2)
 * then starts it again on the new code. A worker started after the signal saw the new value
 * at start, so it keeps working.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { AtomicStore } from '../atomics/atomic-store.js';

/** The key of the restart signal in a connection's `AtomicStore`. */
export const RESTART_KEY = 'queue:restart';

/** How often a worker reads the restart signal by default, in milliseconds. */
export const DEFAULT_RESTART_CHECK_MS = 1000;

/**
 * Signals every worker that reads `store` to finish its running jobs and stop.
 *
 * The store has no plain "set" operation, so the value is written as the owner of a lock that
 * never expires: the lock is cleared, then taken with the new value. Two restarts at once leave
 * one of the two values, which differs from what every earlier worker saw all the same.
 *
 * @param store - The connection's store (`manager.atomics(connection)`).
 * @param at - When, in milliseconds since the epoch. Default: now.
 * @returns The value written: the time, then a random part (`1767225600000:4f1c2a9b`).
 */
export async function signalRestart(store: AtomicStore, at: number = Date.now()): Promise<string> {
  const value = `${at}:${randomUUID().slice(0, 8)}`;
  await store.clear(RESTART_KEY);
  await store.acquire(RESTART_KEY, value);
  return value;
}

/**
 * The current restart signal of a store, if one was ever given.
 *
 * @param store - The connection's store.
 */
export function readRestartSignal(store: AtomicStore): Promise<string | undefined> {
  return store.owner(RESTART_KEY);
}

/** Options of `watchRestartSignal()`. */
export interface RestartWatchOptions {
  /** How often to read the signal, in milliseconds. */
  readonly intervalMs: number;
  /** Called once, when the signal differs from the one read first. */
  readonly onRestart: () => void;
  /** Called with an error reading the signal, once per run of failures; the watch keeps reading. */
  readonly onError: (error: unknown) => void;
}

/**
 * Reads the restart signal now (the value to compare against), then every `intervalMs`, and
 * calls `onRestart` once it changed. When the store cannot be read at first (Redis is down), the
 * first value it reads later is the one compared against. The timer does not keep the process
 * alive by itself.
 *
 * @returns A function that ends the watch.
 */
export function watchRestartSignal(store: AtomicStore, options: RestartWatchOptions): () => void {
  const unread = Symbol('unread');
  let seen: string | undefined | typeof unread = unread;
  let failing = false;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async (): Promise<void> => {
    try {
      const current = await readRestartSignal(store);
      failing = false;
      if (ended) return;
      if (seen === unread) seen = current;
      else if (current !== seen) {
        ended = true;
        return options.onRestart();
      }
    } catch (error) {
      if (ended) return;
      if (!failing) options.onError(error);
      failing = true;
    }
    if (!ended) timer = setTimeout(() => void check(), options.intervalMs).unref();
  };
  void check();
  return () => {
    ended = true;
    clearTimeout(timer);
  };
}
