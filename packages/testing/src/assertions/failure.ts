import { AssertionError } from 'node:assert';

/** What an assertion failure says. */
export interface FailureDetails {
  /** The whole message: what was expected, then what happened. */
  message: string;
  /** The assertion that failed: the stack starts at its caller. */
  stackStartFn: (...args: never[]) => unknown;
  /** For a comparison: what was found; runners that show diffs (Jest) show it against `expected`. */
  actual?: unknown;
  /** For a comparison: what was expected. */
  expected?: unknown;
  /** For a comparison: `strictEqual` or `deepStrictEqual`. Without one, only the message is shown. */
  operator?: 'strictEqual' | 'deepStrictEqual';
  /** An error that explains the failure (a push that failed...). */
  cause?: unknown;
}

/**
 * A `node:assert` `AssertionError`, so that every runner reports it as a failed assertion, with
 * the stack starting where the test called the assertion.
 */
export function assertionFailure(details: FailureDetails): AssertionError {
  const error = new AssertionError({
    message: details.message,
    operator: 'fail',
    stackStartFn: details.stackStartFn as (...args: unknown[]) => unknown,
  });
  // Set afterwards: given to the constructor, Node would append its own diff to the message,
  // and runners that diff these fields themselves (Jest) would show it twice.
  if (details.operator !== undefined) {
    Object.assign(error, { actual: details.actual, expected: details.expected, operator: details.operator });
  }
  if (details.cause !== undefined) {
    Object.defineProperty(error, 'cause', { value: details.cause, writable: true, configurable: true });
  }
  return error;
}

/**
 * A numbered list under a title, or `empty` when there is nothing to list.
 *
 * @example
 * listing('Dispatched jobs', ['SendWelcomeEmail { id: 1 } via dispatch'], 'Nothing was dispatched.')
 * // Dispatched jobs (1):
 * //   1. SendWelcomeEmail { id: 1 } via dispatch
 */
export function listing(title: string, lines: readonly string[], empty: string): string {
  if (lines.length === 0) return empty;
  return [`${title} (${lines.length}):`, ...lines.map((line, index) => `  ${index + 1}. ${line}`)].join('\n');
}
