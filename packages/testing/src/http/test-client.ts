import type { Application } from '@epilogue/core';
import { TerminateTimeoutError, TestRequestFailedError } from '../errors.js';
import type { TestResponse } from './test-response.js';
import { transportFor, type OutgoingRequest, type RequestTarget, type Transport } from './transport.js';
import { waitForIdle } from './when-idle.js';

/** Options of `request()`. */
export interface RequestClientOptions {
  /**
   * How long to wait, once the response arrived, for the application's after-response work
   * before failing with `TerminateTimeoutError`. Default: 5,000 ms.
   */
  terminateTimeoutMs?: number;
}

/** Options of one request. */
export interface TestRequestOptions {
  /** Request headers. */
  headers?: Record<string, string>;
  /**
   * The body: a string or bytes as they are, anything else as JSON (with
   * `content-type: application/json` unless a content type is given).
   */
  body?: unknown;
}

/**
 * Sends requests to an application served by its real adapter. Each method resolves once the
 * whole response arrived *and* the application's terminate phase is over: deferred callbacks
 * and after-response jobs have run, so a test can assert on their effects at once.
 */
export class TestClient {
  readonly #app: Application;
  readonly #transport: Transport;
  readonly #timeoutMs: number;

  /**
   * @param app - The application, whose in-flight scopes are waited for.
   * @param transport - How requests reach the adapter.
   * @param options - The terminate timeout.
   */
  constructor(app: Application, transport: Transport, options: RequestClientOptions = {}) {
    this.#app = app;
    this.#transport = transport;
    this.#timeoutMs = options.terminateTimeoutMs ?? 5_000;
  }

  /** Sends a GET request. */
  get(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.send('GET', path, options);
  }

  /** Sends a HEAD request. */
  head(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.send('HEAD', path, options);
  }

  /** Sends a DELETE request. */
  delete(path: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.send('DELETE', path, options);
  }

  /** Sends a POST request; an object body is sent as JSON. */
  post(path: string, body?: unknown, options?: TestRequestOptions): Promise<TestResponse> {
    return this.send('POST', path, { ...options, body });
  }

  /** Sends a PUT request; an object body is sent as JSON. */
  put(path: string, body?: unknown, options?: TestRequestOptions): Promise<TestResponse> {
    return this.send('PUT', path, { ...options, body });
  }

  /** Sends a PATCH request; an object body is sent as JSON. */
  patch(path: string, body?: unknown, options?: TestRequestOptions): Promise<TestResponse> {
    return this.send('PATCH', path, { ...options, body });
  }

  /**
   * Sends a request with any method.
   *
   * @returns The whole response, once the application's after-response work has finished too.
   * @throws {TestRequestFailedError} When no whole response arrived.
   * @throws {TerminateTimeoutError} When after-response work was still running after the timeout.
   */
  async send(method: string, path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    const request = outgoing(method.toUpperCase(), path, options);
    const name = `${request.method} ${request.path}`;
    const timeoutMs = this.#timeoutMs;
    const settle = () =>
      waitForIdle(this.#app, timeoutMs, (inFlight) => TerminateTimeoutError.after(name, timeoutMs, inFlight));
    try {
      return await this.#transport(request, settle);
    } catch (error) {
      if (error instanceof TerminateTimeoutError) throw error;
      throw TestRequestFailedError.for(name, error);
    }
  }
}

/**
 * A test client for `app` served by `target`, its real adapter. Requests go over a real socket
 * to a server on 127.0.0.1 and a free port, started for each request and closed after it, so
 * nothing needs closing; a server that already listens is used as it is. A fetch handler is
 * called with a Web `Request`, as its platform would.
 *
 * Each request resolves after the response *and* after the terminate phase: once no request,
 * command or job of the application is in flight any more, so after-response jobs and deferred
 * callbacks have run and their effects can be asserted without sleeping.
 *
 * @param app - The application.
 * @param target - `createRequestListener(app, handler)`, an Express app (or any Node request
 *   listener), an `http.Server`, a Fastify instance with the Epilogue plugin, or
 *   `{ fetch: handle(app, handler) }`.
 * @param options - The terminate timeout.
 * @returns The client.
 * @throws {InvalidRequestTargetError} For a target it cannot send requests to.
 * @example
 * const bus = fakeBus(app);
 * const client = request(app, createRequestListener(app, routes));
 * const response = await client.post('/register', { email: 'ada@example.com' });
 * expect(response.status).toBe(201);
 * bus.assertDispatchedAfterResponse(SendWelcomeEmail);
 */
export function request(app: Application, target: RequestTarget, options?: RequestClientOptions): TestClient {
  return new TestClient(app, transportFor(target), options);
}

function outgoing(method: string, path: string, options: TestRequestOptions): OutgoingRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  const { body } = options;
  let bytes: Buffer | undefined;
  if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) bytes = Buffer.from(body);
  else if (body !== undefined) {
    bytes = Buffer.from(JSON.stringify(body), 'utf8');
    headers['content-type'] ??= 'application/json';
  }
  if (bytes !== undefined) headers['content-length'] = String(bytes.length);
  return { method, path: path.startsWith('/') ? path : `/${path}`, headers, body: bytes };
}
