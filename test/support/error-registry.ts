// The check every package's error registry passes: each exported error extends EpilogueError,
// and each code is written out in the test, so that renaming a code (which breaks programs that
// branch on it) fails a test instead of slipping through.
import { EpilogueError } from '@epilogue/core';

/** Expected codes, each with at least one error made by a named constructor that carries it. */
export type ExpectedCodes = Readonly<Record<`E_${string}`, readonly [EpilogueError, ...EpilogueError[]]>>;

/**
 * Asserts that a package's error registry is complete and stable:
 * - every error listed under a code carries exactly that code (a renamed code fails);
 * - codes are `E_` and capitals, and no two error classes share one;
 * - every error has its class's name and a message;
 * - the error classes the package exports are exactly the classes listed, so a new export
 *   without a listed code fails too.
 *
 * @param exports - The package's public module (`import * as pkg from '@epilogue/pkg'`).
 * @param expected - Each code the package uses, with the errors that carry it.
 * @example
 * expectErrorRegistry(fetch, { E_INVALID_RESPONSE: [fetch.InvalidResponseError.forValue(1)] });
 */
export function expectErrorRegistry(exports: object, expected: ExpectedCodes): void {
  const listed = Object.entries(expected) as [string, readonly EpilogueError[]][];
  for (const [code, errors] of listed) {
    expect(code).toMatch(/^E_[A-Z_]+$/);
    for (const error of errors) {
      expect(error).toBeInstanceOf(EpilogueError);
      expect({ error: error.constructor.name, code: error.code }).toEqual({ error: error.constructor.name, code });
      expect(error.name).toBe(error.constructor.name);
      expect(error.message).not.toBe('');
    }
  }

  const classesByCode = new Map<string, Set<string>>();
  for (const [code, errors] of listed) classesByCode.set(code, new Set(errors.map((error) => error.constructor.name)));
  const shared = [...classesByCode].filter(([, classes]) => classes.size > 1).map(([code, classes]) => `${code}: ${[...classes].join(', ')}`);
  expect(shared).toEqual([]);

  const exported = Object.entries(exports)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof EpilogueError)
    .map(([name]) => name);
  const made = new Set(listed.flatMap(([, errors]) => errors.map((error) => error.constructor.name)));
  expect([...made].sort()).toEqual(exported.sort());
}
