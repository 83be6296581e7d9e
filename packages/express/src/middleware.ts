import { HttpKernel, loadShedder, type Application, type ShedLoadOption } from '@epilogue/core';
import { onResponseEnd, shedResponse } from '@epilogue/node-http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { watchMountOrder } from './mount-order.js';

/**
 * The Express middleware `epilogue()` returns. It is typed on Node's request and response, which
 * Express's extend, so it fits `app.use()` of Express 4 and 5 alike.
 */
export type EpilogueMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** Options of `epilogue(app, options)`. */
export interface EpilogueExpressOptions {
  /**
   * Answer `503` with `Retry-After` (before the rest of the chain runs) while
   * `app.afterResponse.overloaded` is true: `true` (`Retry-After: 1`) or `{ retryAfterSeconds }`. Off by default.
   */
  shedLoad?: ShedLoadOption;
}

/**
 * Creates the Express middleware that gives every request its own Epilogue scope. Everything
 * after it (the rest of the middleware chain and the route handlers) runs inside that scope, so
 * `defer()` and `dispatchAfterResponse()` there belong to the request. Once the response
 * closed (`'close'`: the tick after it was flushed, or the client went away first), the
 * kernel's terminate phase runs that request's deferred callbacks and after-response jobs,
 * exactly once.
 *
 * Once `app.shutdown()` has begun, responses close their connection (`Connection: close`), so
 * keep-alive clients stop bringing new requests and the shutdown can drain.
 *
 * Register it before the routes and middleware that need a scope. A route registered before it
 * runs outside any scope, so its after-response work would wait for `app.shutdown()`: the first
 * request such a route answers is reported, once, as `ExpressMountedAfterRoutesError`
 * (`E_EXPRESS_MOUNTED_AFTER_ROUTES`) to the application's reporter. Errors stay Express's
 * business: its error handlers answer them, and the status they send decides which deferred
 * callbacks run (all below 400, only `always` ones otherwise). Add `reportErrors(app)` after
 * the routes to send them to the application's reporter too.
 *
 * @param app - The Epilogue application (not the Express one).
 * @param options - `shedLoad`: answer 503 while the after-response backlog is over its limit.
 * @returns The middleware for `expressApp.use()`.
 * @throws {InvalidShedLoadOptionError} For a `shedLoad` option it cannot read.
 * @example
 * const app = new Application();
 * const expressApp = express();
 * expressApp.use(epilogue(app));
 * expressApp.post('/users', (req, res) => {
 *   SendWelcomeEmail.dispatchAfterResponse(req.body.email);
 *   res.status(201).send('created');
 * });
 */
export function epilogue(app: Application, options: EpilogueExpressOptions = {}): EpilogueMiddleware {
  const kernel = app.make(HttpKernel);
  const shedder = loadShedder(app, options.shedLoad);
  const middleware: EpilogueMiddleware = (request, response, next) => {
    entered(request);
    if (shedder?.shed()) return shedResponse(response, shedder);
    // Once shutdown has begun, a kept-alive connection would keep bringing requests (and scopes)
    // and the shutdown would never drain: answer with `Connection: close` so the client moves on.
    if (app.isShuttingDown) response.shouldKeepAlive = false;
    const scope = app.createScope('http', { method: request.method, url: originalUrl(request) });
    onResponseEnd(response, () => {
      void kernel.terminate(scope, request, response);
    });
    scope.run(next);
  };
  const entered = watchMountOrder(app, middleware);
  return middleware;
}

// Inside a mounted router Express rewrites `url`; `originalUrl` keeps what the client asked for.
function originalUrl(request: IncomingMessage): string | undefined {
  return (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url;
}
