import { FakeAlreadyInstalledError } from '../errors.js';

/** What every fake has: a way to undo it. */
export interface Restorable {
  /** Puts back what the fake replaced; calling it again does nothing. */
  restore(): void;
}

/** Where a fake is installed: the function that installed it, and the object it stands in for. */
interface Installation {
  readonly installer: string;
  readonly target: object;
}

// The fakes installed and not restored yet, in the order they were installed.
const installed = new Map<Restorable, Installation>();

/**
 * Checks that no fake `installer` put on `target` is still installed: two would compete for the
 * same calls, and restoring one would undo part of the other.
 *
 * @param installer - The function that installs the fake (`fakeBus`...), for the error.
 * @param target - What the fake stands in for: the application's `Dispatcher`...
 * @throws {FakeAlreadyInstalledError} When one is installed and not restored yet.
 */
export function checkNotInstalled(installer: string, target: object): void {
  for (const installation of installed.values()) {
    if (installation.installer === installer && installation.target === target) {
      throw FakeAlreadyInstalledError.forFake(installer);
    }
  }
}

/**
 * Remembers an installed fake, for `restoreFakes()` and `checkNotInstalled()`, until it is
 * restored.
 *
 * @param installer - The function that installed it (`fakeBus`...).
 * @param target - What it stands in for.
 */
export function track(fake: Restorable, installer: string, target: object): void {
  installed.set(fake, { installer, target });
}

/** Forgets a fake that was restored: `installer` may put a new one on its target. */
export function untrack(fake: Restorable): void {
  installed.delete(fake);
}

/**
 * Restores every fake installed and not restored yet, the latest first: what `useFakes()`
 * registers after each test. Call it yourself after each test with a runner it does not support.
 *
 * @example
 * import { afterEach } from 'node:test';
 * afterEach(restoreFakes);
 */
export function restoreFakes(): void {
  for (const fake of [...installed.keys()].reverse()) fake.restore();
}
