import { HttpKernel, loadShedder, SHED_BODY, type Application, type Scope, type ShedLoadOption } from '@epilogue/core';
import { InvalidResponseError } from './errors.js';
import { closeConnectionAfterResponse, watchResponse } from './response-end.js';

/**
 * A Web-standard request handler, such as Hono's `app.fetch`. It receives the request and
 * whatever the platform passed after it (`env` and `ctx` on Workers, bindings on Node...).
 */
export type FetchHandler<A extends unknown[] = []> = (
  request: Request,
  ...args: A
) => Response | Promise<Response>;

/**
 * The fetch handler `handle()` returns: the platform calls it with the request and its own
 * arguments, which are passed on to your handler.
 */
export type EpilogueFetchHandler<A extends unknown[] = []> = (
  request: Request,
  ...args: [...A, ...unknown[]]
) => Promise<Response>;

/** Options of `handle(app, handler, options)`. */
export interface HandleOptions {
  /**
   * Answer `503` with `Retry-After` (before the handler runs) while `app.afterResponse.overloaded`
   * is true: `true` (`Retry-After: 1`) or `{ retryAfterSeconds }`. Off by default.
   */
  shedLoad?: ShedLoadOption;
}

/**
 * Wraps a Web-standard handler (`(request) => Response`) for Workers, Vercel, Deno, Bun, Hono
 * or any server that speaks the Fetch API. Each request gets its own scope and the handler runs
 * in it. The terminate phase (deferred callbacks, then after-response jobs) runs exactly once:
 *
 * - when an argument after the request has a `waitUntil()` (Workers, Vercel, Netlify), it is
 *   handed to `waitUntil` and starts on a macrotask, once the response has been returned;
 * - with the Node bindings of `@hono/node-server`, once the Node response has closed: after its
 *   last byte was handed to the socket, or because the client went away;
 * - otherwise (Bun, Deno...), once the runtime has read the response body to the end or
 *   cancelled it (the client went away); a response without a body (null body, 204, HEAD)
 *   ends on a macrotask after it was returned.
 *
 * A handler that throws, rejects or returns no `Response` is reported and answered with a 500.
 * Once `app.shutdown()` has begun, Node responses close their connection, so that keep-alive
 * clients stop bringing requests and the shutdown can drain.
 *
 * @param app - The application.
 * @param handler - Your handler; extra arguments given to the returned function are passed on.
 * @param options - `shedLoad`: answer 503 while the after-response backlog is over its limit.
 * @returns A fetch handler for the platform: it never rejects.
 * @throws {InvalidShedLoadOptionError} For a `shedLoad` option it cannot read.
 * @example
 * const app = new Application();
 * const hono = new Hono().post('/users', async (c) => {
 *   SendWelcomeEmail.dispatchAfterResponse(await c.req.json());
 *   return c.text('created', 201);
 * });
 * export default { fetch: handle(app, hono.fetch) };
 */
export function handle<A extends unknown[] = []>(
  app: Application,
  handler: FetchHandler<A>,
  options: HandleOptions = {},
): EpilogueFetchHandler<A> {
  const kernel = app.make(HttpKernel);
  const shedder = loadShedder(app, options.shedLoad);
  return (request, ...args) => {
    if (shedder?.shed()) {
      const headers = { 'content-type': 'text/plain; charset=utf-8', 'retry-after': shedder.retryAfter };
      return Promise.resolve(new Response(SHED_BODY, { status: 503, headers }));
    }
    if (app.isShuttingDown) closeConnectionAfterResponse(args);
    const scope = app.createScope('http', { method: request.method, url: request.url });
    const sent = watchResponse(request, args, (response, error) => {
      if (error !== undefined) app.report(error, scope.reportContext('response-body'));
      return kernel.terminate(scope, request, response);
    });
    const fail = (error: unknown) => sent(failed(error, scope));
    // A response whose body was already read cannot be sent: it fails like a throwing handler.
    const succeed = (value: unknown) => {
      try {
        return sent(checked(value, scope));
      } catch (error) {
        return fail(error);
      }
    };
    try {
      const result = scope.run(() => handler(request, ...(args as unknown as A)));
      return Promise.resolve(result).then(succeed, fail);
    } catch (error) {
      return Promise.resolve(fail(error));
    }
  };
}

// Duck-typed rather than `instanceof`: servers such as @hono/node-server install their own
// Response class, and a handler may build its responses with another realm's. `in` rather than
// reading `headers`: that getter builds a Headers object on @hono/node-server's fast path.
function checked(value: unknown, scope: Scope): Response {
  const candidate = value as Partial<Response> | null | undefined;
  if (typeof candidate?.status === 'number' && 'headers' in candidate) return value as Response;
  return failed(InvalidResponseError.forValue(value), scope);
}

function failed(error: unknown, scope: Scope): Response {
  scope.app.report(error, scope.reportContext('request'));
  return new Response('Internal Server Error', {
    status: 500,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}
