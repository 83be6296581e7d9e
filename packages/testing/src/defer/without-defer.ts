import { runDeferredAtOnce, type Application } from '@epilogue/core';
import { track, untrack, type Restorable } from '../support/fakes.js';

// The installation per application: withoutDefer() twice keeps one, withDefer() undoes it.
const installed = new WeakMap<Application, Restorable>();

/**
 * Makes `defer()` run its callbacks at once, during the call that registers them, instead of
 * after the response (or the command, or the job), as Laravel's `$this->withoutDefer()`: a test
 * then sees their effects as soon as the code under test returns. What a callback throws is
 * thrown by `defer()`; an async callback is started, not awaited, and its rejection is reported.
 * `restoreFakes()` (after each test with `useFakes()`) undoes it, as `withDefer(app)` does.
 *
 * @param app - The application whose scopes it applies to.
 * @returns What undoes it; calling `withoutDefer(app)` again returns the same.
 * @example
 * withoutDefer(app);
 * await app.runInScope(() => registration.register(user));   // its defer()red audit ran already
 * expect(audit.entries).toHaveLength(1);
 */
export function withoutDefer(app: Application): Restorable {
  const existing = installed.get(app);
  if (existing !== undefined) return existing;
  const restorable: Restorable = {
    restore() {
      if (installed.get(app) !== restorable) return;
      installed.delete(app);
      untrack(restorable);
      runDeferredAtOnce(app, false);
    },
  };
  runDeferredAtOnce(app, true);
  installed.set(app, restorable);
  track(restorable, 'withoutDefer', app);
  return restorable;
}

/**
 * Undoes `withoutDefer(app)`: `defer()` registers callbacks to run after the unit of work
 * again, as Laravel's `$this->withDefer()`. Does nothing when deferring was not turned off.
 *
 * @param app - The application given to `withoutDefer()`.
 */
export function withDefer(app: Application): void {
  installed.get(app)?.restore();
}
