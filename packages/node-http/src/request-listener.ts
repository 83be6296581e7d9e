import { HttpKernel, loadShedder, SHED_BODY, type Application, type LoadShedder, type Scope, type ShedLoadOption } from '@epilogue/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { onResponseEnd } from './response-end.js';

/** A request handler for Node's `http` server; it runs inside the request's scope. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

// Where a response keeps its request's scope until the request ends.
const SCOPE = Symbol('epilogue.scope');
type ScopedResponse = ServerResponse & { [SCOPE]?: Scope };

/** Options of `createRequestListener()`. */
export interface RequestListenerOptions {
  /**
   * Answer `503` with `Retry-After` (before the handler runs) while `app.afterResponse.overloaded`
   * is true: `true` (`Retry-After: 1`) or `{ retryAfterSeconds }`. Off by default.
   */
  shedLoad?: ShedLoadOption;
}

/**
 * Wraps `handler` for `http.createServer`: each request gets its own scope, the handler runs in
 * it, and once the response is flushed (or the client went away) the kernel's terminate phase
 * runs that request's deferred callbacks and after-response jobs, exactly once, without delaying
 * the response or the next request on the connection. A handler that throws gets a 500 (when
 * nothing was sent yet) and the error is reported.
 *
 * @param app - The application.
 * @param handler - Your request handler.
 * @param options - `shedLoad`: answer 503 while the after-response backlog is over its limit.
 * @returns A listener for `http.createServer(listener)`.
 * @throws {InvalidShedLoadOptionError} For a `shedLoad` option it cannot read.
 * @example
 * http.createServer(createRequestListener(app, (req, res) => {
 *   SendWelcomeEmail.dispatchAfterResponse(user);
 *   res.end('ok');
 * })).listen(3000);
 */
export function createRequestListener(
  app: Application,
  handler: NodeHandler,
  options: RequestListenerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const kernel = app.make(HttpKernel);
  const shedder = loadShedder(app, options.shedLoad);
  // One function for every response (the scope waits on the response itself): watching a
  // request's end allocates no closure.
  const end = (response: ScopedResponse): void => {
    const scope = response[SCOPE];
    if (scope === undefined) return;
    response[SCOPE] = undefined;
    void kernel.terminate(scope, response.req, response);
  };
  return (request, response) => {
    if (shedder?.shed()) return shedResponse(response, shedder);
    // Once shutdown has begun, a kept-alive connection would keep bringing requests (and scopes)
    // and the shutdown would never drain: answer with `Connection: close` so the client moves on.
    if (app.isShuttingDown) response.shouldKeepAlive = false;
    const scope = app.createScope('http', { method: request.method, url: request.url });
    (response as ScopedResponse)[SCOPE] = scope;
    onResponseEnd(response, end);
    scope.run(() => invoke(handler, request, response, scope));
  };
}

/**
 * Answers a request with `503 Service Unavailable` and its `Retry-After`, for a shed request.
 * The Express adapter uses it too.
 */
export function shedResponse(response: ServerResponse, shedder: LoadShedder): void {
  response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': shedder.retryAfter });
  response.end(SHED_BODY);
}

function invoke(handler: NodeHandler, request: IncomingMessage, response: ServerResponse, scope: Scope): void {
  let result: unknown;
  try {
    result = handler(request, response);
  } catch (error) {
    fail(error, response, scope);
    return;
  }
  if (result instanceof Promise) result.catch((error: unknown) => fail(error, response, scope));
}

function fail(error: unknown, response: ServerResponse, scope: Scope): void {
  scope.app.report(error, scope.reportContext('request'));
  if (!response.headersSent) {
    response.statusCode = 500;
    response.setHeader('content-type', 'text/plain; charset=utf-8');
    response.end('Internal Server Error');
  } else if (!response.writableEnded) {
    response.destroy(error instanceof Error ? error : undefined);
  }
}
