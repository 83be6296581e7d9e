import type { Application } from '../application.js';
import type { Constructor } from '../types.js';
import type { Scope } from '../scope/scope.js';
import { InvokeDeferredCallbacks } from './invoke-deferred-callbacks.js';
import { statusOf, type ResponseStatus, type TerminableMiddleware } from './terminable-middleware.js';

/** A terminable middleware instance, or a class resolved from the request's container. */
export type TerminableMiddlewareEntry = TerminableMiddleware | Constructor<TerminableMiddleware>;

/**
 * Ends HTTP requests. Adapters call `terminate()` once the response is flushed (or the client is
 * gone); it runs the terminable middleware in order — `InvokeDeferredCallbacks` first — and then
 * the scope's terminating callbacks, each isolated and reported on failure.
 *
 * Get it with `app.make(HttpKernel)`; there is one per application.
 */
export class HttpKernel {
  readonly #app: Application;
  readonly #middleware: TerminableMiddlewareEntry[] = [new InvokeDeferredCallbacks()];

  /** @param app - The application whose reporter receives failures. */
  constructor(app: Application) {
    this.#app = app;
  }

  /** Adds terminable middleware after those registered already. */
  pushTerminable(...middleware: TerminableMiddlewareEntry[]): this {
    this.#middleware.push(...middleware);
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
    // With only the built-in InvokeDeferredCallbacks, the scope runs its deferred callbacks
    // itself (that is what `finish` does without `before`): no middleware loop, and no closure
    // keeping the request and response alive while after-response work runs.
    if (this.#middleware.length === 1) return scope.finish(succeeded);
    return scope.finish(succeeded, () => this.#runMiddleware(scope, request, response));
  }

  async #runMiddleware(scope: Scope, request: unknown, response: ResponseStatus): Promise<void> {
    for (const entry of this.#middleware) {
      try {
        const middleware = typeof entry === 'function' ? scope.container.resolve(entry) : entry;
        await middleware.terminate(request, response, scope);
      } catch (error) {
        this.#app.report(error, { ...scope.reportContext('terminable-middleware'), middleware: nameOf(entry) });
      }
    }
  }
}

function nameOf(entry: TerminableMiddlewareEntry): string {
  return typeof entry === 'function' ? entry.name : entry.constructor.name;
}
