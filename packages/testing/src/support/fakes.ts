/** What every fake has: a way to undo it. */
export interface Restorable {
  /** Puts back what the fake replaced; calling it again does nothing. */
  restore(): void;
}

// The fakes installed and not restored yet, in the order they were installed.
const installed = new Set<Restorable>();

/** Remembers an installed fake, for `restoreFakes()`. */
export function track(fake: Restorable): void {
  installed.add(fake);
}

/** Forgets a fake that was restored. */
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
  for (const fake of [...installed].reverse()) fake.restore();
}
