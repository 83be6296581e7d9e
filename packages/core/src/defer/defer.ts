import { Application } from '../application.js';
import { InvalidCallbackError } from '../errors.js';
import { currentScope } from '../scope/scope-storage.js';
import type { Scope } from '../scope/scope.js';
import type { DeferredCallbackCollection } from './deferred-callback-collection.js';
import { DeferredCallback, type DeferredFunction } from './deferred-callback.js';

/** Returns the current scope's deferred callbacks (to `forget`, `count`...). */
export function defer(): DeferredCallbackCollection;
/**
 * Runs `callback` after the current unit of work succeeded: after the response of an HTTP
 * request with status < 400, after a command that exited 0, after a queued job that succeeded;
 * or after it in any case when `always` is true. Deferred callbacks run before terminating
 * callbacks (and so before after-response jobs).
 *
 * Outside any scope the callback goes to the application's own scope, run by `app.terminate()`.
 *
 * @param callback - The work to run later.
 * @param name - A later `defer()` with the same name replaces this one.
 * @param always - Run even when the work failed.
 * @returns The registered callback, for `.name()` and `.always()`.
 * @throws {InvalidCallbackError} When `callback` is not a function.
 * @throws {NoApplicationError} Outside any scope, when no application exists.
 * @example
 * defer(() => metrics.flush(), 'metrics');
 * defer(() => audit.write(entry)).always();
 */
export function defer(callback: DeferredFunction, name?: string, always?: boolean): DeferredCallback;
export function defer(
  callback?: DeferredFunction,
  name?: string,
  always = false,
): DeferredCallback | DeferredCallbackCollection {
  const scope: Scope = currentScope() ?? Application.getInstance().rootScope;
  if (callback === undefined) return scope.deferred;
  if (typeof callback !== 'function') throw InvalidCallbackError.forRegistration('defer', callback);
  return scope.defer(new DeferredCallback(callback, name, always));
}
