/**
 * The Jest helper of `@epilogue/testing`: `useFakes()` restores every fake after each test.
 * It uses the runner's global `afterEach` (Jest, Vitest with globals, Mocha), or the one given.
 *
 * @module
 * @example
 * import { fakeBus } from '@epilogue/testing';
 * import { useFakes } from '@epilogue/testing/jest';
 *
 * useFakes();
 *
 * it('sends the welcome email after the response', async () => {
 *   const bus = fakeBus(app);
 *   await request(app, listener).post('/register', { email: 'ada@example.com' });
 *   bus.assertDispatchedAfterResponse(SendWelcomeEmail);
 * });
 */
import { NoAfterEachError } from './errors.js';
import { restoreFakes } from './support/fakes.js';

/** The hook `useFakes()` registers with. */
export interface AfterEachHook {
  afterEach(fn: () => void): unknown;
}

/**
 * Registers an `afterEach` that restores every fake installed during the test (`fakeBus`,
 * `fakeQueue`, `fakeEvents`), so no fake leaks into the next test. Call it once per test file,
 * at the top level (or in a `setupFilesAfterEnv` module).
 *
 * @param hooks - The runner's `afterEach`, for runners without a global one (`node:test`).
 * @throws {NoAfterEachError} When there is no global `afterEach` and none was given.
 */
export function useFakes(hooks?: AfterEachHook): void {
  const afterEach = hooks?.afterEach ?? (globalThis as { afterEach?: AfterEachHook['afterEach'] }).afterEach;
  if (typeof afterEach !== 'function') throw new NoAfterEachError();
  afterEach(() => restoreFakes());
}
