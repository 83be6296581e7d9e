/**
 * The conformance suites a queue driver, an atomic store and a batch store pass:
 * `describeQueueDriver()`, `describeAtomicStore()` and `describeBatchStore()`. Each declares its
 * tests with the test runner's `describe`/`it` (Jest, Vitest with globals, Mocha, or the
 * `runner` option) and asserts with `node:assert`, which is why they have an entry point of
 * their own: an application's import of `@epilogue/queue` loads none of it.
 *
 * @module
 * @example
 * import { describeQueueDriver } from '@epilogue/queue/testing';
 *
 * describeQueueDriver('MyDriver', () => new MyDriver());
 */
import '@epilogue/bus';

export { describeBatchStore } from './batch/describe-batch-store.js';
export type { BatchStoreFactory, BatchStoreSuiteOptions } from './batch/describe-batch-store.js';
export { describeAtomicStore } from './testing/describe-atomic-store.js';
export type { AtomicStoreFactory, AtomicStoreSuiteOptions } from './testing/describe-atomic-store.js';
export { describeQueueDriver } from './testing/describe-queue-driver.js';
export type { QueueDriverFactory, QueueDriverSuiteOptions } from './testing/describe-queue-driver.js';
export { NoTestRunnerError } from './testing/testing-errors.js';
export type { TestRunner } from './testing/test-runner.js';
