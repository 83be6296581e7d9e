import { NoTestRunnerError } from './testing-errors.js';

/** The test runner functions the suite needs; Jest, Vitest (globals) and Mocha provide them. */
export interface TestRunner {
  /** Declares a group of tests. */
  describe(name: string, fn: () => void): void;
  /** Declares one test. */
  it(name: string, fn: () => Promise<void>): void;
  /** Runs `fn` before each test of the group. */
  beforeEach(fn: () => Promise<void>): void;
  /** Runs `fn` after each test of the group. */
  afterEach(fn: () => Promise<void>): void;
}

/**
 * The test runner's global functions, for suites given no `runner`.
 *
 * @throws {NoTestRunnerError} When `describe`, `it`, `beforeEach` or `afterEach` is missing.
 */
export function globalRunner(): TestRunner {
  const g = globalThis as unknown as Partial<TestRunner>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function') throw new NoTestRunnerError();
  if (typeof g.beforeEach !== 'function' || typeof g.afterEach !== 'function') throw new NoTestRunnerError();
  return g as TestRunner;
}
