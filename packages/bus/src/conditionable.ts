import { InvalidCallbackError } from '@epilogue/core';

/**
 * The condition of `when()` and `unless()`: a value whose truth decides, or a function of the
 * pending object that returns it.
 */
export type Condition<T> = ((pending: T) => unknown) | string | number | bigint | boolean | object | null | undefined;

/**
 * What `when()` and `unless()` call on a pending dispatch, chain or batch: with the pending
 * object and the condition's value. What it returns is ignored; the pending object is returned.
 */
export type ConditionalCallback<T> = (pending: T, value: unknown) => unknown;

/**
 * Calls `callback` when the condition's truth is `expected`, else `otherwise` (if given), as
 * Laravel's `Conditionable` does: `when()` passes `true`, `unless()` `false`.
 *
 * @param target - The pending dispatch, chain or batch.
 * @param method - `when` or `unless`, for errors.
 * @param condition - A value whose truth decides, or a function of `target` that returns it.
 * @returns `target`.
 * @throws {InvalidCallbackError} When `callback` (or a given `otherwise`) is not a function.
 */
export function applyCondition<T>(
  target: T,
  method: 'when' | 'unless',
  condition: Condition<T>,
  callback: ConditionalCallback<T>,
  otherwise: ConditionalCallback<T> | undefined,
): T {
  if (typeof callback !== 'function') throw InvalidCallbackError.forRegistration(method, callback);
  if (otherwise !== undefined && typeof otherwise !== 'function') {
    throw InvalidCallbackError.forRegistration(method, otherwise);
  }
  const value: unknown = typeof condition === 'function' ? (condition as (target: T) => unknown)(target) : condition;
  const chosen = Boolean(value) === (method === 'when') ? callback : otherwise;
  chosen?.(target, value);
  return target;
}
