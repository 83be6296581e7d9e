import { AssertionError } from 'node:assert';

/** Runs an assertion that should fail and returns its AssertionError; fails the test when it passes. */
export function failureOf(fn: () => void): AssertionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    return error as AssertionError;
  }
  throw new Error('expected the assertion to fail, but it passed');
}
