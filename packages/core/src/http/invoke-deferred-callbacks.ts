import type { Scope } from '../scope/scope.js';
import { statusOf, type ResponseStatus, type TerminableMiddleware } from './terminable-middleware.js';

/**
 * Runs the request's deferred callbacks after the response: all of them when the status is
 * below 400, only those marked `always` otherwise. The kernel runs it first.
 */
export class InvokeDeferredCallbacks implements TerminableMiddleware {
  terminate(_request: unknown, response: ResponseStatus, scope: Scope): Promise<void> {
    return scope.invokeDeferred(statusOf(response) < 400);
  }
}
