// The waits of the conformance suites, which driver authors run in their own tests: a timer
// tick, a gate the test opens by hand and a wait that polls instead of sleeping. This is the one
// copy: the repository's own tests use it too, through the private test-support package
// (test/support/waits.ts), which a published suite must not depend on.
import assert from 'node:assert/strict';

/** Resolves after `ms` milliseconds (the next timer tick by default). */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise the test resolves when it chooses, with `open()`. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Polls `test` every 2 ms until it passes; fails (an `AssertionError`) after `ms`. */
export async function waitFor(what: string, test: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await tick(2);
  }
}
