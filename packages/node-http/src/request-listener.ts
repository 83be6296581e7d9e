import { HttpKernel, type Application, type Scope } from '@epilogue/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { onResponseEnd } from './response-end.js';

/** A request handler for Node's `http` server; it runs inside the request's scope. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

/**
 * Wraps `handler` for `http.createServer`: each request gets its own scope, the handler runs in
 * it, and once the response is flushed (or the client went away) the kernel's terminate phase
 * runs that request's deferred callbacks and after-response jobs, exactly once, without delaying
 * the response or the next request on the connection. A handler that throws gets a 500 (when
 * nothing was sent yet) and the error is reported.
 *
 * @param app - The application.
 * @param handler - Your request handler.
 * @returns A listener for `http.createServer(listener)`.
 * @example
 * http.createServer(createRequestListener(app, (req, res) => {
 *   SendWelcomeEmail.dispatchAfterResponse(user);
 *   res.end('ok');
 * })).listen(3000);
 */
export function createRequestListener(
  app: Application,
  handler: NodeHandler,
): (request: IncomingMessage, response: ServerResponse) => void {
  const kernel = app.make(HttpKernel);
  return (request, response) => {
    // Once shutdown has begun, a kept-alive connection would keep bringing requests (and scopes)
    // and the shutdown would never drain: answer with `Connection: close` so the client moves on.
    if (app.isShuttingDown) response.shouldKeepAlive = false;
    const scope = app.createScope('http', { method: request.method, url: request.url });
    onResponseEnd(response, () => {
      void kernel.terminate(scope, request, response);
    });
    scope.run(() => invoke(handler, request, response, scope));
  };
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
