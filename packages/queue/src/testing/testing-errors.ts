// The errors of the driver conformance suites (`@epilogue/queue/testing`).
import { EpilogueError } from '@epilogue/core';

/** Thrown by `describeQueueDriver()` and `describeAtomicStore()` when no test runner globals (`describe`, `it`) exist. */
export class NoTestRunnerError extends EpilogueError {
  constructor() {
    super(
      'E_NO_TEST_RUNNER',
      'describeQueueDriver() and describeAtomicStore() need a test runner with global ' +
        'describe/it/beforeEach/afterEach (Jest, Vitest with globals, Mocha), or pass them as the `runner` option.',
    );
  }
}
