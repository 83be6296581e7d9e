import type { Application, Scope } from '@epilogue/core';
import { TerminateTimeoutError } from '../errors.js';
import { patchMethods } from '../support/patch.js';

/** Options of `whenIdle()`. */
export interface WhenIdleOptions {
  /** How long to wait before failing with `TerminateTimeoutError`. Default: 5,000 ms. */
  timeoutMs?: number;
}

interface Watch {
  readonly waiters: Set<() => void>;
  readonly undo: () => void;
}

const watches = new WeakMap<Application, Watch>();

/**
 * Resolves once no request, command or job of `app` is in flight: their after-response work
 * (deferred callbacks, after-response jobs) has run. For tests that send requests their own way;
 * `request()` waits for this itself.
 *
 * @param app - The application.
 * @param options - How long to wait.
 * @throws {TerminateTimeoutError} (as a rejection) When work is still in flight after the timeout.
 * @example
 * await fetch(`http://127.0.0.1:${port}/register`, { method: 'POST', body });
 * await whenIdle(app);
 * expect(mailer.sent).toEqual(['ada@example.com']);
 */
export function whenIdle(app: Application, options: WhenIdleOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return waitForIdle(app, timeoutMs, (inFlight) => TerminateTimeoutError.waiting(timeoutMs, inFlight));
}

/**
 * Resolves once no scope of `app` is in flight. It listens for the application releasing its
 * last scope (the signal `app.shutdown()` waits for) rather than polling, and only while
 * someone waits.
 *
 * @param timeoutMs - How long to wait before `onTimeout`.
 * @param onTimeout - Builds the rejection when the application is still busy by then.
 */
export function waitForIdle(
  app: Application,
  timeoutMs: number,
  onTimeout: (inFlight: number) => unknown,
): Promise<void> {
  if (app.activeScopes === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const watch = watchReleases(app);
    const settle = (error?: unknown) => {
      clearTimeout(timer);
      watch.waiters.delete(done);
      if (watch.waiters.size === 0) {
        watch.undo();
        watches.delete(app);
      }
      if (error === undefined) resolve();
      else reject(error);
    };
    const done = () => settle();
    const timer = setTimeout(() => settle(onTimeout(app.activeScopes)), timeoutMs);
    watch.waiters.add(done);
  });
}

function watchReleases(app: Application): Watch {
  const existing = watches.get(app);
  if (existing !== undefined) return existing;
  const waiters = new Set<() => void>();
  const undo = patchMethods(app, (real) => ({
    release(scope: Scope) {
      real.release(scope);
      if (app.activeScopes === 0) for (const waiter of [...waiters]) waiter();
    },
  }));
  const watch = { waiters, undo };
  watches.set(app, watch);
  return watch;
}
