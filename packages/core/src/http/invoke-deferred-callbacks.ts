import type { Scope } from '../scope/scope.js';
import { statusOf, type ResponseStatus, type TerminableMiddleware } from './terminable-middleware.js';

/**
 * Marks where, among the terminable middleware, the request's deferred callbacks run: all of
 * them when the status is below 400, only those marked `always` otherwise. The kernel has one
 * first; its scope then runs each deferred callback as a step of its own. Called directly, it
 * runs them all at once.
 */
export class InvokeDeferredCallbacks implements TerminableMiddleware {
  terminate(_request: unknown, response: ResponseStatus, scope: Scope): Promise<void> {
    const succeeded = statusOf(response) < 400;
    return scope.deferred.invokeWhen((callback) => succeeded || callback.runsAlways, scope);
  }
}
