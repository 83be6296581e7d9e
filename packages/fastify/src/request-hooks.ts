import { currentScope, HttpKernel, type Application, type ErrorContext, type Scope } from '@epilogue/core';
import type { FastifyError, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { onResponseEnd } from '@epilogue/node-http';
import type { ServerResponse } from 'node:http';

/** Where the plugin keeps a request's scope on Fastify's request object. */
export const SCOPE = Symbol('epilogue.scope');

// The raw response points back to Fastify's request so that one shared listener can end it.
const REQUEST = Symbol('epilogue.request');

type ScopedRequest = FastifyRequest & { [SCOPE]: Scope | null };
type TrackedResponse = ServerResponse & { [REQUEST]?: ScopedRequest };

/** The request hooks the plugin adds to Fastify, built once per registration. */
export interface RequestHooks {
  /** Creates the request's scope, watches its response, and runs the rest of the request in the scope. */
  onRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  /**
   * Enters the scope again if an earlier hook, parser or plugin lost the async context
   * (Fastify itself keeps it through body parsing).
   */
  preValidation(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  /** Reports errors that become a 5xx response to the application's reporter. */
  onError(request: FastifyRequest, reply: FastifyReply, error: FastifyError, done: () => void): void;
}

/**
 * Builds the hooks that give every Fastify request its own scope and end it exactly once. The
 * functions are created here, once, so the request path allocates no closures: the only
 * per-request work is the scope, a symbol property on the request and the raw response, and
 * the shared listeners of `onResponseEnd` (from @epilogue/node-http), which also ends a
 * pipelined request whose connection closed before its turn, with one listener per connection.
 *
 * Ending the request on the raw response's `'close'` (which Node emits after `'finish'`, or
 * when the client went away first) covers completed, streamed, hijacked and aborted responses
 * alike, which Fastify's `onResponse` (not called when the client went away) and `onRequestAbort` (not
 * called once the request body was read) do not do on their own.
 *
 * @param app - The application whose scopes and reporter are used.
 * @returns The hooks to add with `fastify.addHook()`.
 */
export function createRequestHooks(app: Application): RequestHooks {
  const kernel = app.make(HttpKernel);

  function end(response: TrackedResponse): void {
    const request = response[REQUEST];
    if (request === undefined) return;
    response[REQUEST] = undefined;
    const scope = request[SCOPE];
    if (scope !== null) void kernel.terminate(scope, request, response);
  }

  return {
    onRequest(request, reply, done) {
      const scope = app.createScope('http', { method: request.method, url: request.url });
      (request as ScopedRequest)[SCOPE] = scope;
      const response = reply.raw as TrackedResponse;
      response[REQUEST] = request as ScopedRequest;
      onResponseEnd(response, end);
      scope.run(done);
    },

    preValidation(request, _reply, done) {
      const scope = (request as ScopedRequest)[SCOPE];
      if (scope === null || currentScope() === scope) done();
      else scope.run(done);
    },

    onError(request, reply, error, done) {
      if (errorStatus(error, reply) >= 500) app.report(error, reportContext(request as ScopedRequest));
      done();
    },
  };
}

function reportContext(request: ScopedRequest): ErrorContext {
  const scope = request[SCOPE];
  if (scope !== null) return scope.reportContext('request');
  return { phase: 'request', scope: 'http', method: request.method, url: request.url };
}

// The status Fastify's error handling will answer with: a code set on the reply, else the
// error's own `statusCode`/`status` (400-599), else 500. Client errors are not reported.
function errorStatus(error: FastifyError & { status?: number }, reply: FastifyReply): number {
  if (reply.statusCode >= 400) return reply.statusCode;
  for (const status of [error.statusCode, error.status]) {
    if (typeof status === 'number' && status >= 400 && status <= 599) return status;
  }
  return 500;
}
