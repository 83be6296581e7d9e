import type { Constructor } from '../types.js';
import { DEFERRED_CALLBACKS, type ScopeEnding } from '../scope/scope-ending.js';
import type { Scope } from '../scope/scope.js';
import type { Step } from '../scope/step.js';
import { InvokeDeferredCallbacks } from './invoke-deferred-callbacks.js';
import { statusOf, type ResponseStatus, type TerminableMiddleware } from './terminable-middleware.js';

/** A terminable middleware instance, or a class resolved from the request's container. */
export type TerminableMiddlewareEntry = TerminableMiddleware | Constructor<TerminableMiddleware>;

/**
 * Ends HTTP requests. Adapters call `terminate()` once the response is flushed (or the client is
 * gone); the request's scope then runs the terminable middleware in order — the deferred
 * callbacks where `InvokeDeferredCallbacks` stands, first by default — and then its terminating
 * callbacks, each isolated and reported on failure, all started through `app.afterResponse`.
 *
 * Get it with `app.make(HttpKernel)`; there is one per application.
 */
export class HttpKernel {
  readonly #middleware: TerminableMiddlewareEntry[] = [new InvokeDeferredCallbacks()];
  // How many entries are steps of their own (all but the InvokeDeferredCallbacks marks).
  #steps = 0;

  /** Adds terminable middleware after those registered already. */
  pushTerminable(...middleware: TerminableMiddlewareEntry[]): this {
    this.#middleware.push(...middleware);
    this.#steps = this.#middleware.filter((entry) => !runsDeferred(entry)).length;
    return this;
  }

  /**
   * Runs the terminate phase of a request once; later calls for the same scope return the same
   * promise. Never rejects: failures go to the reporter.
   *
   * @param scope - The request's scope, from `app.createScope('http', ...)`.
   * @param request - The adapter's request object, handed to terminable middleware.
   * @param response - The response, whose status decides which deferred callbacks run.
   */
  terminate(scope: Scope, request: unknown, response: ResponseStatus): Promise<void> {
    const succeeded = statusOf(response) < 400;
    // With no terminable middleware of its own (only the deferred callbacks' mark), the request's
    // end is the scope's own order (deferred, then terminating callbacks): no ending object, and
    // nothing keeps the request and the response alive while its after-response work waits.
    if (this.#steps === 0) return scope.finish(succeeded);
    return scope.finish(succeeded, new RequestEnding(this.#middleware, this.#steps, scope, request, response));
  }
}

// The terminable middleware of one request, as steps of its scope's end. It holds the request
// and the response only until the last middleware has been taken.
class RequestEnding implements ScopeEnding {
  remaining: number;
  #index = 0;
  #middleware: readonly TerminableMiddlewareEntry[] | undefined;
  #scope: Scope;
  #request: unknown;
  #response: ResponseStatus | undefined;

  constructor(middleware: readonly TerminableMiddlewareEntry[], steps: number, scope: Scope, request: unknown, response: ResponseStatus) {
    this.#middleware = middleware;
    this.remaining = steps;
    this.#scope = scope;
    this.#request = request;
    this.#response = response;
  }

  next(): Step | typeof DEFERRED_CALLBACKS | undefined {
    const entry = this.#middleware?.[this.#index++];
    if (entry === undefined) {
      this.#middleware = this.#request = this.#response = undefined;
      return undefined;
    }
    if (runsDeferred(entry)) return DEFERRED_CALLBACKS;
    this.remaining--;
    const scope = this.#scope;
    const request = this.#request;
    const response = this.#response as ResponseStatus;
    return {
      phase: 'terminable-middleware',
      label: nameOf(entry),
      call: () => {
        const middleware = typeof entry === 'function' ? scope.container.resolve(entry) : entry;
        return middleware.terminate(request, response, scope);
      },
    };
  }
}

function runsDeferred(entry: TerminableMiddlewareEntry): boolean {
  return entry instanceof InvokeDeferredCallbacks;
}

function nameOf(entry: TerminableMiddlewareEntry): string {
  return typeof entry === 'function' ? entry.name : entry.constructor.name;
}
