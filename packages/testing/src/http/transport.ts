import { once } from 'node:events';
import { createServer, request as httpRequest, Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidRequestTargetError } from '../errors.js';
import { testResponse, webHeaders, type TestResponse } from './test-response.js';

/** A Node request listener: `createRequestListener(app, handler)`, an Express app, `koa.callback()`... */
export type RequestListener = (request: IncomingMessage, response: ServerResponse) => unknown;

/** A Fastify instance (or anything with Fastify's `ready()` and `routing(request, response)`). */
export interface FastifyLike {
  ready(): PromiseLike<unknown>;
  routing(request: IncomingMessage, response: ServerResponse): unknown;
}

/** A fetch handler, as Workers export it: `{ fetch: handle(app, handler) }`. */
export interface FetchTarget {
  fetch(request: Request, ...args: never[]): Response | Promise<Response>;
}

/** What `request()` can send requests to. */
export type RequestTarget = RequestListener | Server | FastifyLike | FetchTarget;

/** A request, ready to send. */
export interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
}

/**
 * Sends one request and resolves to the whole response; `settle` runs before the transport lets
 * go of what it started for the request (the server it listened with).
 */
export type Transport = (request: OutgoingRequest, settle: () => Promise<void>) => Promise<TestResponse>;

/**
 * How requests reach a target: over a real socket on 127.0.0.1 for Node listeners, servers and
 * Fastify; by calling the handler with a Web `Request` for fetch handlers, as their platforms do.
 *
 * @throws {InvalidRequestTargetError} For anything else.
 */
export function transportFor(target: RequestTarget): Transport {
  if (target instanceof Server) return overServer(target);
  if (typeof target === 'function') return overListener(target);
  if (typeof target === 'object' && target !== null) {
    if (typeof (target as FetchTarget).fetch === 'function') return overFetch(target as FetchTarget);
    const fastify = target as FastifyLike;
    if (typeof fastify.routing === 'function' && typeof fastify.ready === 'function') {
      return async (request, settle) => {
        await fastify.ready();
        return overListener((req, res) => fastify.routing(req, res))(request, settle);
      };
    }
  }
  throw InvalidRequestTargetError.forTarget(target);
}

// A server of its own for each request, on a free port, closed once the request settled: a
// test that forgets to close anything leaves nothing open.
function overListener(listener: RequestListener): Transport {
  return (request, settle) => overServer(createServer(listener))(request, settle);
}

// A server that already listens is used as it is; one that does not listens for this request only.
function overServer(server: Server): Transport {
  return async (request, settle) => {
    const started = !server.listening;
    if (started) {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    }
    try {
      const response = await send((server.address() as AddressInfo).port, request);
      await settle();
      return response;
    } finally {
      if (started) await close(server);
    }
  };
}

function overFetch(target: FetchTarget): Transport {
  return async (request, settle) => {
    // The Request computes its own length from the body.
    const { 'content-length': _length, ...headers } = request.headers;
    const init: RequestInit = { method: request.method, headers };
    if (request.body !== undefined) init.body = request.body;
    const response = await target.fetch(new Request(`http://127.0.0.1${request.path}`, init));
    // Reading the body to its end is what ends the request for the fetch adapter.
    const body = Buffer.from(await response.arrayBuffer());
    await settle();
    return testResponse(response.status, response.headers, body);
  };
}

function send(port: number, request: OutgoingRequest): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const { method, path, headers, body } = request;
    // No agent: the connection closes after the response, so nothing is left open.
    const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        resolve(testResponse(response.statusCode ?? 0, webHeaders(response.headers), Buffer.concat(chunks)));
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function close(server: Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}
