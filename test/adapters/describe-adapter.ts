/**
 * The HTTP adapter behaviour suite: one set of real-socket tests that every Epilogue HTTP
 * adapter (node-http, Fastify, Express, fetch...) must pass, as every queue driver passes the
 * queue conformance suite.
 *
 * ## The contract an adapter's test file fulfils
 *
 * ```ts
 * describeAdapter('fastify', async (app, routes) => {
 *   // start a real server for `app` on 127.0.0.1, port 0, serving `routes`...
 *   return { url, server, close };
 * }, { sigterm: { script: fixture('fastify-server.mjs'), packages: ['core', 'bus', 'fastify'] } });
 * ```
 *
 * The factory `(app, routes) => Promise<RunningServer>` must:
 *
 * - start a real HTTP/1.1 server on `127.0.0.1`, port 0, that runs `app` through the adapter
 *   under test, the way a user would set it up;
 * - call `routes[path]` for a request whose path (without the query) is a key of `routes`, with
 *   `routeContext(method, url, body)`, from inside the route handler of the framework, so the
 *   route runs where user code runs (in the request's scope, after any body parsing); any other
 *   path gets a 404;
 * - pass the body as parsed JSON for `application/json` requests, as text otherwise;
 * - answer with the route's result: `status` (200 by default), `headers`, and `body`, either a
 *   string or an `AsyncIterable<string>` written chunk by chunk as it produces them;
 * - let a route that throws or rejects take the framework's ordinary error path (a 500 that the
 *   adapter reports to the application);
 * - return `url` (`http://127.0.0.1:<port>`), `server` (the Node `http.Server` that accepts the
 *   connections: the suite watches its `'request'` events to know when each response was
 *   flushed, independently of the adapter) and `close()` (stop serving; it may shut the
 *   application down, which every test has let go idle by then).
 *
 * Each test builds its own `Application` (with a recording reporter and the test services
 * registered) and its own routes, and calls the factory once.
 *
 * The optional `sigterm` option names a process-level fixture: an ES module script, run with
 * `node <script>` against the built packages (`packages` are built with `tsc -b` first), that
 *
 * - reads `EPILOGUE_FIXTURE_LOG` (a file path), `EPILOGUE_FIXTURE_ROUTE_MS` and
 *   `EPILOGUE_FIXTURE_JOB_MS` from the environment;
 * - serves `GET /job?id=<id>` on 127.0.0.1, port 0: waits ROUTE_MS, dispatches an
 *   after-response job that waits JOB_MS and then appends `<id>\n` to the log, answers 200;
 * - prints `listening <url>` on a line of its stdout once it accepts connections;
 * - on SIGTERM, stops the way the adapter documents as graceful, with a shutdown timeout of
 *   5 s, and exits with code 0; its stderr stays empty (the reporter writes there).
 *
 * Two tests use it: SIGTERM while 100 requests are in flight or queued, and SIGTERM while
 * keep-alive clients keep sending (the stop must drain well within the 5 s, not wait for the
 * clients to give up). Either way, every request answered 200 must have its job in the log,
 * once. `fixtures/fixture-app.mjs` builds the application and the job for such scripts. Without
 * the option both tests are skipped.
 *
 * Besides `http.request` on explicit agents, one test writes two pipelined requests on a raw
 * TCP socket.
 */
import { Application, currentScope, defer, HttpKernel, Lifecycle, type ErrorContext, type Scope } from '@epilogue/core';
import { autowire, Job } from '@epilogue/bus';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildPackages, repositoryRoot } from './build-packages.js';

/** What a route receives: the request, already parsed, framework-neutral. */
export interface RouteContext {
  /** The HTTP method, upper case. */
  method: string;
  /** The path, without the query. */
  path: string;
  /** The query parameters. */
  query: URLSearchParams;
  /** Parsed JSON for `application/json` requests, the text otherwise (`''` without a body). */
  body: unknown;
}

/** What a route answers. */
export interface RouteResult {
  /** The status code; 200 when omitted. */
  status?: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** A string, or chunks written as they are produced. */
  body?: string | AsyncIterable<string>;
}

/** A framework-neutral route. It may throw or reject: the adapter's error path answers. */
export type Route = (context: RouteContext) => RouteResult | Promise<RouteResult>;

/** Routes by path (no query). */
export type RouteTable = Readonly<Record<string, Route>>;

/** What an adapter's factory returns. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** The Node server accepting the connections. */
  server: Server;
  /** Stops serving. */
  close(): Promise<void>;
}

/** Starts a real server for `app` serving `routes` through the adapter under test. */
export type ServerFactory = (app: Application, routes: RouteTable) => Promise<RunningServer>;

/** Options of `describeAdapter()`. */
export interface AdapterSuiteOptions {
  /** The process-level fixture for the SIGTERM test (see the contract above). */
  sigterm?: {
    /** Absolute path of the fixture script. */
    script: string;
    /** Workspace packages the script imports from `dist`, built before it starts. */
    packages: readonly string[];
  };
}

/**
 * Builds the neutral route context from what every framework knows about a request.
 *
 * @param method - The request method.
 * @param url - The request URL as received (`/path?query`), or absolute.
 * @param body - The body as the framework parsed it; a string is parsed as JSON when `contentType` says so.
 * @param contentType - The request's content type, to parse a raw string body.
 */
export function routeContext(method: string, url: string, body: unknown, contentType?: string): RouteContext {
  const parsed = new URL(url, 'http://127.0.0.1');
  const json = typeof body === 'string' && body !== '' && contentType?.startsWith('application/json') === true;
  return { method, path: parsed.pathname, query: parsed.searchParams, body: json ? JSON.parse(body) : body };
}

/** Absolute path of a script in `test/adapters/fixtures`. */
export function fixture(name: string): string {
  return join(repositoryRoot, 'test', 'adapters', 'fixtures', name);
}

// ---------------------------------------------------------------------------------------------
// Services and jobs the routes use. Each test registers fresh ones in its own application.

/** A request-scoped service: one per request's container, holding the id the client sent. */
class RequestContext {
  id: string | undefined;
}

interface RecordedEvent {
  name: string;
  id: string | undefined;
  at: number;
  flushed?: boolean;
  ownContext?: boolean;
}

/** The test's log of what ran, when, and what it saw. */
class Recorder {
  readonly events: RecordedEvent[] = [];

  record(name: string, id?: string, seen: Partial<RecordedEvent> = {}): void {
    this.events.push({ name, id, at: performance.now(), ...seen });
  }

  all(name: string, id?: string): RecordedEvent[] {
    return this.events.filter((event) => event.name === name && (id === undefined || event.id === id));
  }

  first(name: string, id?: string): RecordedEvent | undefined {
    return this.all(name, id)[0];
  }

  /** Event names in order, optionally for one id. */
  names(id?: string): string[] {
    return this.events.filter((event) => id === undefined || event.id === id).map((event) => event.name);
  }

  /** Resolves once `condition` holds; fails the test after `timeoutMs`. */
  async until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      if (performance.now() > deadline) {
        const events = this.names().join(', ');
        throw new SuiteTimeout(`Timed out after ${timeoutMs} ms waiting for ${what}; events: ${events}`);
      }
      await sleep(5);
    }
  }
}

/** Knows each response by the `x-test-id` its request carried, seen from the Node server. */
class ResponseProbe {
  readonly #responses = new Map<string, ServerResponse>();

  watch(server: Server): void {
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const id = request.headers['x-test-id'];
      if (typeof id === 'string') this.#responses.set(id, response);
    });
  }

  /** Whether the response of request `id` was completely handed to the socket. */
  flushed(id: string | undefined): boolean {
    return id !== undefined && this.#responses.get(id)?.writableFinished === true;
  }
}

class SuiteTimeout extends Error {}
class ExpectedFailure extends Error {}
class NotInScope extends Error {}

/** Records when it starts (with what it saw of its request) and when it ends, after `ms`. */
class TracedJob extends Job {
  constructor(
    readonly id: string,
    readonly ms = 0,
  ) {
    super();
  }

  @autowire()
  async handle(context: RequestContext, recorder: Recorder, probe: ResponseProbe): Promise<void> {
    recorder.record('job started', this.id, { ownContext: context.id === this.id, flushed: probe.flushed(this.id) });
    if (this.ms > 0) await sleep(this.ms);
    recorder.record('job finished', this.id);
  }
}

/** Records its name. */
class MarkJob extends Job {
  constructor(
    readonly mark: string,
    readonly id: string,
  ) {
    super();
  }

  @autowire()
  handle(recorder: Recorder): void {
    recorder.record(this.mark, this.id);
  }
}

/** Always throws. */
class FailingJob extends Job {
  constructor(readonly id: string) {
    super();
  }

  handle(): never {
    throw new ExpectedFailure(`job of ${this.id} failed`);
  }
}

/** Records each terminate of the kernel, with the request's id. */
function countTerminations(app: Application, recorder: Recorder): void {
  app.make(HttpKernel).pushTerminable({
    terminate(_request: unknown, _response: unknown, scope: Scope) {
      recorder.record('terminate', scope.container.resolve(RequestContext).id);
    },
  });
}

/** Called by routes: names the current request in its scoped `RequestContext`. */
function enter(id: string): RequestContext {
  const scope = currentScope();
  if (scope === undefined) throw new NotInScope('the route does not run inside a scope');
  const context = scope.container.resolve(RequestContext);
  context.id = id;
  return context;
}

function idOf(context: RouteContext): string {
  return context.query.get('id') ?? 'none';
}

const traced: Route = (context) => {
  const id = idOf(context);
  enter(id);
  TracedJob.dispatchAfterResponse(id, Number(context.query.get('ms') ?? 0));
  return { body: id };
};

// ---------------------------------------------------------------------------------------------
// The client side: Node's http.request on explicit agents, so sockets are under control.

interface ClientResponse {
  status: number;
  body: string;
  /** When the last byte of the body was received. */
  receivedAt: number;
  /** How long the request took, from sending to the last byte. */
  elapsed: number;
  /** The client's local port: the same port means the same connection. */
  localPort: number | undefined;
}

interface SendOptions {
  agent: Agent;
  method?: string;
  json?: unknown;
  id?: string;
  /** Sends the body in two parts, this many milliseconds apart (a slow upload). */
  bodyPauseMs?: number;
}

function send(base: string, path: string, options: SendOptions): Promise<ClientResponse> {
  const startedAt = performance.now();
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = {};
  if (options.id !== undefined) headers['x-test-id'] = options.id;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { agent: options.agent, method: options.method ?? 'GET', headers });
    request.on('error', reject);
    request.on('response', (response) => {
      const localPort = response.socket?.localPort;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', reject);
      response.on('end', () => {
        const receivedAt = performance.now();
        const elapsed = receivedAt - startedAt;
        resolve({ status: response.statusCode ?? 0, body: text, receivedAt, elapsed, localPort });
      });
    });
    if (body === undefined || options.bodyPauseMs === undefined) {
      request.end(body);
      return;
    }
    // The second part arrives in its own event loop turn, as from a slow client: the framework
    // reads it from a socket event, outside whatever context the request started in.
    request.write(body.slice(0, 1));
    setTimeout(() => request.end(body.slice(1)), options.bodyPauseMs);
  });
}

/** What error reports of a GET request to `path` say about it (adapters may report absolute URLs). */
function requestContext(path: string): Record<string, unknown> {
  return { scope: 'http', method: 'GET', url: expect.stringContaining(path) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Harness {
  app: Application;
  url: string;
  reports: { error: unknown; context: ErrorContext }[];
  recorder: Recorder;
  agent: Agent;
  get(path: string, id?: string): Promise<ClientResponse>;
  idle(): Promise<void>;
}

/**
 * Runs the adapter behaviour suite against one adapter.
 *
 * @param name - The adapter's name, for the test titles.
 * @param factory - Starts a real server for an application and a route table (see the contract above).
 * @param options - The SIGTERM fixture, when the adapter has a process-level graceful stop.
 */
export function describeAdapter(name: string, factory: ServerFactory, options: AdapterSuiteOptions = {}): void {
  describe(`the ${name} adapter`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    function agent(maxSockets = 50): Agent {
      const made = new Agent({ keepAlive: true, maxSockets });
      cleanups.push(() => made.destroy());
      return made;
    }

    async function start(routes: RouteTable, setup?: (app: Application, recorder: Recorder) => void): Promise<Harness> {
      const reports: Harness['reports'] = [];
      const app = new Application({ report: (error, context) => reports.push({ error, context }) });
      const recorder = new Recorder();
      const probe = new ResponseProbe();
      app.container.registerInstance(Recorder, recorder);
      app.container.registerInstance(ResponseProbe, probe);
      app.container.register(RequestContext, { useClass: RequestContext }, { lifecycle: Lifecycle.ContainerScoped });
      setup?.(app, recorder);
      const running = await factory(app, routes);
      cleanups.push(() => running.close());
      probe.watch(running.server);
      const client = agent();
      return {
        app,
        url: running.url,
        reports,
        recorder,
        agent: client,
        get: (path, id) => send(running.url, path, { agent: client, id }),
        idle: () => recorder.until(() => app.activeScopes === 0, 'every request scope to end'),
      };
    }

    it('sends the whole response before a slow after-response job has finished', async () => {
      const { get, recorder, idle } = await start({ '/traced': traced });
      const response = await get('/traced?id=slow&ms=1000', 'slow');
      expect(response).toMatchObject({ status: 200, body: 'slow' });
      expect(response.elapsed).toBeLessThan(500);
      expect(recorder.first('job finished', 'slow')).toBeUndefined();
      await recorder.until(() => recorder.all('job finished', 'slow').length > 0, 'the slow job', 3_000);
      expect(recorder.first('job started', 'slow')).toMatchObject({ ownContext: true, flushed: true });
      expect(recorder.first('job finished', 'slow')!.at).toBeGreaterThan(response.receivedAt);
      await idle();
    });

    it('runs 500 concurrent after-response jobs once each, in their own request scope, after their own response', async () => {
      const { get, recorder, idle } = await start({ '/traced': traced });
      const ids = Array.from({ length: 500 }, (_, i) => `c${i}`);
      const responses = await Promise.all(ids.map((id) => get(`/traced?id=${id}`, id)));
      expect(responses.map((response) => response.body)).toEqual(ids);
      await recorder.until(() => recorder.all('job finished').length >= ids.length, '500 jobs');
      await idle();
      const started = recorder.all('job started');
      expect(started).toHaveLength(ids.length);
      expect(new Set(started.map((event) => event.id))).toEqual(new Set(ids));
      expect(started.filter((event) => !event.ownContext)).toEqual([]);
      expect(started.filter((event) => !event.flushed)).toEqual([]);
    });

    it('keeps the request scope through a slowly uploaded JSON body and awaits in the route', async () => {
      const { url, agent: client, recorder, idle } = await start({
        '/users': async (context) => {
          const { id } = context.body as { id: string };
          await sleep(5);
          enter(id);
          TracedJob.dispatchAfterResponse(id);
          const scope = currentScope();
          return { status: 201, body: JSON.stringify({ id, kind: scope?.kind, method: scope?.details?.method }) };
        },
      });
      const response = await send(url, '/users', {
        agent: client,
        method: 'POST',
        json: { id: 'ada' },
        id: 'ada',
        bodyPauseMs: 20,
      });
      expect(response.status).toBe(201);
      expect(JSON.parse(response.body)).toEqual({ id: 'ada', kind: 'http', method: 'POST' });
      await recorder.until(() => recorder.all('job finished', 'ada').length > 0, 'the job');
      expect(recorder.first('job started', 'ada')).toMatchObject({ ownContext: true, flushed: true });
      await idle();
    });

    it('terminates exactly once and still runs after-response jobs when the client aborts mid-request', async () => {
      const { url, recorder, idle } = await start(
        {
          '/abort': async (context) => {
            const id = idOf(context);
            enter(id);
            MarkJob.dispatchAfterResponse('job registered before the abort', id);
            recorder.record('route waiting', id);
            await sleep(150);
            MarkJob.dispatchAfterResponse('job registered after the abort', id);
            recorder.record('route done', id);
            return { body: 'too late' };
          },
        },
        countTerminations,
      );
      const request = httpRequest(`${url}/abort?id=gone`, { agent: agent() });
      request.on('error', () => undefined);
      request.end();
      await recorder.until(() => recorder.all('route waiting').length > 0, 'the route to start');
      request.destroy();
      await recorder.until(() => recorder.all('job registered before the abort').length > 0, 'the first job');
      await recorder.until(() => recorder.all('job registered after the abort').length > 0, 'the second job');
      await sleep(50);
      expect(recorder.all('terminate', 'gone')).toHaveLength(1);
      expect(recorder.all('job registered before the abort')).toHaveLength(1);
      expect(recorder.all('job registered after the abort')).toHaveLength(1);
      await idle();
    });

    it('terminates a pipelined request whose connection closed before its response could be sent', async () => {
      const { url, recorder, idle } = await start(
        {
          '/slow': async (context) => {
            enter(idOf(context));
            await sleep(100);
            return { body: 'first' };
          },
          '/traced': (context) => {
            recorder.record('second request handled', idOf(context));
            return traced(context);
          },
        },
        countTerminations,
      );
      // Two requests in one write: the second waits in Node's queue behind the slow first one
      // and never gets the socket, which the client closes meanwhile.
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(
        'GET /slow?id=p1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' +
          'GET /traced?id=p2 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-test-id: p2\r\n\r\n',
      );
      await recorder.until(() => recorder.all('second request handled').length > 0, 'the second request');
      socket.destroy();
      await recorder.until(() => recorder.all('job finished', 'p2').length > 0, 'the job of the second request', 2_000);
      await idle();
      await sleep(150);
      expect(recorder.all('terminate', 'p1')).toHaveLength(1);
      expect(recorder.all('terminate', 'p2')).toHaveLength(1);
    });

    it('terminates once, after the last chunk of a streamed body', async () => {
      const { get, recorder, idle } = await start(
        {
          '/stream': (context) => {
            const id = idOf(context);
            enter(id);
            TracedJob.dispatchAfterResponse(id);
            async function* chunks(): AsyncIterable<string> {
              for (const chunk of ['a', 'b', 'c']) {
                await sleep(30);
                recorder.record('chunk produced', id);
                yield chunk;
              }
              recorder.record('stream ended', id);
            }
            return { body: chunks() };
          },
        },
        countTerminations,
      );
      const response = await get('/stream?id=s', 's');
      expect(response.body).toBe('abc');
      await recorder.until(() => recorder.all('job finished', 's').length > 0, 'the job');
      await sleep(20);
      expect(recorder.names('s')).toEqual([
        'chunk produced',
        'chunk produced',
        'chunk produced',
        'stream ended',
        'terminate',
        'job started',
        'job finished',
      ]);
      expect(recorder.first('job started', 's')).toMatchObject({ ownContext: true, flushed: true });
      await idle();
    });

    function statusRoute(): Route {
      return (context) => {
        const id = idOf(context);
        enter(id);
        const recorder = currentScope()!.container.resolve(Recorder);
        // Registered first on purpose: after-response jobs still run after deferred callbacks.
        MarkJob.dispatchAfterResponse('after-response job', id);
        defer(() => recorder.record('deferred', id));
        defer(() => recorder.record('deferred always', id), undefined, true);
        defer(() => recorder.record('deferred always()', id)).always(true);
        return { status: Number(context.query.get('status')), body: 'status' };
      };
    }

    it('runs deferred callbacks, then after-response jobs, when the status is below 400', async () => {
      const { get, recorder, idle } = await start({ '/status': statusRoute() });
      expect((await get('/status?id=ok&status=200')).status).toBe(200);
      await recorder.until(() => recorder.all('after-response job').length > 0, 'the job');
      expect(recorder.names('ok')).toEqual(['deferred', 'deferred always', 'deferred always()', 'after-response job']);
      await idle();
    });

    it.each([404, 503])(
      'skips plain deferred callbacks on a %i but runs always-deferred callbacks and after-response jobs',
      async (status) => {
        const { get, recorder, reports, idle } = await start({ '/status': statusRoute() });
        expect((await get(`/status?id=failed&status=${status}`)).status).toBe(status);
        await recorder.until(() => recorder.all('after-response job').length > 0, 'the job');
        expect(recorder.names('failed')).toEqual(['deferred always', 'deferred always()', 'after-response job']);
        expect(reports).toEqual([]);
        await idle();
      },
    );

    it('reports throwing jobs and deferred callbacks with their context, runs the rest and keeps serving', async () => {
      const { get, recorder, reports, idle } = await start({
        '/traced': traced,
        '/failing': (context) => {
          const id = idOf(context);
          enter(id);
          FailingJob.dispatchAfterResponse(id);
          TracedJob.dispatchAfterResponse(id);
          defer(() => {
            throw new ExpectedFailure(`deferred of ${id} failed`);
          }, 'failing deferred');
          return { body: id };
        },
      });
      const ids = ['f1', 'f2', 'f3'];
      await Promise.all(ids.map((id) => get(`/failing?id=${id}`, id)));
      await recorder.until(() => recorder.all('job finished').length === ids.length, 'the jobs after the failing ones');
      expect((await get('/traced?id=after', 'after')).status).toBe(200);
      await recorder.until(() => recorder.all('job finished', 'after').length > 0, 'the job of the next request');
      await idle();
      const failedJobs = reports.filter((report) => report.context.job === 'FailingJob');
      const failedDeferred = reports.filter((report) => report.context.callback === 'failing deferred');
      expect(reports).toHaveLength(2 * ids.length);
      for (const id of ids) {
        expect(failedJobs).toContainEqual({
          error: expect.objectContaining({ message: `job of ${id} failed` }),
          context: expect.objectContaining({ phase: 'job', ...requestContext(`/failing?id=${id}`) }),
        });
        expect(failedDeferred).toContainEqual({
          error: expect.objectContaining({ message: `deferred of ${id} failed` }),
          context: expect.objectContaining({ phase: 'deferred', ...requestContext(`/failing?id=${id}`) }),
        });
      }
    });

    it('answers 500 and reports when a route throws, and keeps serving', async () => {
      const { get, recorder, reports, idle } = await start({
        '/traced': traced,
        '/throws': () => {
          throw new ExpectedFailure('route failed');
        },
      });
      expect((await get('/throws')).status).toBe(500);
      expect((await get('/traced?id=next', 'next')).status).toBe(200);
      await recorder.until(() => recorder.all('job finished', 'next').length > 0, 'the job of the next request');
      await idle();
      expect(reports).toEqual([
        {
          error: expect.objectContaining({ message: 'route failed' }),
          context: expect.objectContaining({ phase: 'request', ...requestContext('/throws') }),
        },
      ]);
    });

    it('does not delay the next response on a keep-alive connection by a slow after-response job', async () => {
      const { url, recorder, idle } = await start({ '/traced': traced });
      const oneSocket = agent(1);
      const first = await send(url, '/traced?id=ka1&ms=300', { agent: oneSocket, id: 'ka1' });
      const second = await send(url, '/traced?id=ka2', { agent: oneSocket, id: 'ka2' });
      expect(second.localPort).toBe(first.localPort);
      expect(second.elapsed).toBeLessThan(150);
      expect(recorder.first('job finished', 'ka1')).toBeUndefined();
      await recorder.until(() => recorder.all('job finished', 'ka1').length > 0, 'the slow job');
      expect(recorder.first('job finished', 'ka1')!.at).toBeGreaterThan(second.receivedAt);
      await idle();
    });

    const sigterm = options.sigterm;
    const withFixture = sigterm === undefined ? it.skip : it;

    /** Builds the packages, starts the fixture and waits until it listens. */
    async function startFixture(routeMs: number, jobMs: number): Promise<Fixture> {
      await buildPackages(sigterm!.packages);
      const directory = mkdtempSync(join(tmpdir(), 'epilogue-sigterm-'));
      cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
      const log = join(directory, 'jobs.log');
      const child = spawn(process.execPath, [sigterm!.script], {
        cwd: repositoryRoot,
        env: {
          ...process.env,
          EPILOGUE_FIXTURE_LOG: log,
          EPILOGUE_FIXTURE_ROUTE_MS: String(routeMs),
          EPILOGUE_FIXTURE_JOB_MS: String(jobMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, at: performance.now() }));
      cleanups.push(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      const url = await listeningUrl(child.stdout, () => stderr);
      return {
        url,
        exited,
        stderr: () => stderr,
        logged: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
        terminate: () => {
          child.kill('SIGTERM');
          return performance.now();
        },
      };
    }

    /** Every answered request's job is in the log once; nothing else is, and nothing twice. */
    function expectNoJobLost(answered: string[], logged: string[], sent: (id: string) => boolean): void {
      expect(logged.filter((id, index) => logged.indexOf(id) !== index)).toEqual([]);
      expect(answered.filter((id) => !logged.includes(id))).toEqual([]);
      expect(logged.filter((id) => !sent(id))).toEqual([]);
    }

    withFixture('loses no after-response job of an answered request when SIGTERM arrives under load', async () => {
      const server = await startFixture(50, 200);
      const client = agent(50);
      const ids = Array.from({ length: 100 }, (_, i) => `t${i}`);
      let answered = 0;
      const outcomes = ids.map((id) =>
        send(server.url, `/job?id=${id}`, { agent: client, id }).then(
          (response) => {
            // SIGTERM once a fifth of the requests were answered: the others are in flight or queued.
            if (++answered === 20) server.terminate();
            return { id, status: response.status };
          },
          () => ({ id, status: 0 }),
        ),
      );
      const { code } = await server.exited;
      const settled = await Promise.all(outcomes);
      expect({ code, stderr: server.stderr() }).toEqual({ code: 0, stderr: '' });
      const ok = settled.filter((outcome) => outcome.status === 200).map((outcome) => outcome.id);
      expect(ok.length).toBeGreaterThan(20);
      expectNoJobLost(ok, server.logged(), (id) => ids.includes(id));
    });

    withFixture('drains and exits promptly on SIGTERM although keep-alive clients keep sending', async () => {
      // The fixture's shutdown timeout is 5 s: a stop that only drains once clients give up would hit it.
      const server = await startFixture(20, 50);
      const client = agent(4);
      const ok: string[] = [];
      let sent = 0;
      let exited = false;
      let signalledAt = 0;
      void server.exited.then(() => (exited = true));
      const loop = async () => {
        while (!exited) {
          const id = `k${sent++}`;
          const status = await send(server.url, `/job?id=${id}`, { agent: client, id }).then(
            (response) => response.status,
            () => 0,
          );
          if (status === 200) ok.push(id);
          if (ok.length === 20 && signalledAt === 0) signalledAt = server.terminate();
          if (status !== 200) await sleep(10);
        }
      };
      await Promise.all([loop(), loop(), loop(), loop()]);
      const { code, at } = await server.exited;
      expect({ code, stderr: server.stderr() }).toEqual({ code: 0, stderr: '' });
      expect(at - signalledAt).toBeLessThan(2_000);
      expectNoJobLost(ok, server.logged(), (id) => /^k\d+$/.test(id) && Number(id.slice(1)) < sent);
    });
  });
}

interface Fixture {
  url: string;
  exited: Promise<{ code: number | null; at: number }>;
  stderr(): string;
  logged(): string[];
  /** Sends SIGTERM; returns when. */
  terminate(): number;
}

async function listeningUrl(stdout: NodeJS.ReadableStream, stderr: () => string): Promise<string> {
  const lines = createInterface({ input: stdout });
  const timer = setTimeout(() => lines.close(), 10_000);
  try {
    for await (const line of lines) {
      const match = /^listening (http:\/\/\S+)$/.exec(line);
      if (match) return match[1];
    }
  } finally {
    clearTimeout(timer);
  }
  throw new SuiteTimeout(`The fixture never printed "listening <url>". Its stderr:\n${stderr()}`);
}
