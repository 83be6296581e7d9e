import type { Step } from './step.js';

/** Returned by `ScopeEnding.next()` where the scope's deferred callbacks run. */
export const DEFERRED_CALLBACKS: unique symbol = Symbol('epilogue.deferred-callbacks');

/**
 * The steps an HTTP kernel runs first when a request's scope ends (its terminable middleware),
 * handed to `scope.finish()`. The scope takes them one at a time, in order.
 */
export interface ScopeEnding {
  /** How many steps are left, not counting `DEFERRED_CALLBACKS` marks. */
  readonly remaining: number;
  /**
   * The next step; `DEFERRED_CALLBACKS` where the scope should run its deferred callbacks
   * before going on; `undefined` once none is left.
   */
  next(): Step | typeof DEFERRED_CALLBACKS | undefined;
}
