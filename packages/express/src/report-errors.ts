import { currentScope, type Application } from '@epilogue/core';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Express error-handling middleware `reportErrors()` returns (four parameters: Express
 * recognises error handlers by their arity).
 */
export type ErrorReportingMiddleware = (
  error: unknown,
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Creates an Express error handler that sends every error reaching it to the application's
 * reporter, with the request's context (`phase: 'request'`, method and URL), then passes it on
 * to the next error handler, so the answer stays Express's (its default is a 500).
 *
 * Register it after the routes, before your own error handlers, if any.
 *
 * @param app - The Epilogue application (not the Express one).
 * @returns The error-handling middleware for `expressApp.use()`.
 * @example
 * expressApp.use(epilogue(app));
 * expressApp.get('/', handler);
 * expressApp.use(reportErrors(app));
 */
export function reportErrors(app: Application): ErrorReportingMiddleware {
  return (error, request, _response, next) => {
    const scope = currentScope();
    const context =
      scope !== undefined && scope.app === app
        ? scope.reportContext('request')
        : { phase: 'request', method: request.method, url: request.url };
    app.report(error, context);
    next(error);
  };
}
