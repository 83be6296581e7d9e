// The parts of the HTTP adapter behaviour suite (describe-adapter.ts) that are not its cases:
// the contract's types, the services, jobs and routes the cases use, the client that sends
// their requests and the SIGTERM fixture's process.
import { Application, currentScope, defer, HttpKernel, type ErrorContext, type Scope } from '@epilogue/core';
import { autowire, Job } from '@epilogue/bus';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { tick } from '@epilogue-internal/test-support/waits';
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
  /** The process-level fixture for the SIGTERM test (see the contract in describe-adapter.ts). */
  sigterm?: {
    /** Absolute path of the fixture script. */
    script: string;
    /** Workspace packages the script imports from `dist`, built before it starts. */
    packages: readonly string[];
  };
}

/** The SIGTERM fixture of an adapter: `AdapterSuiteOptions.sigterm`. */
export type SigtermFixture = NonNullable<AdapterSuiteOptions['sigterm']>;

/** What a test leaves to undo once it ends. */
export type Cleanup = () => Promise<void> | void;

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
export class RequestContext {
  id: string | undefined;
}

export interface RecordedEvent {
  name: string;
  id: string | undefined;
  at: number;
  flushed?: boolean;
  ownContext?: boolean;
}

/** The test's log of what ran, when, and what it saw. */
export class Recorder {
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
      await tick(5);
    }
  }
}

/** Knows each response by the `x-test-id` its request carried, seen from the Node server. */
export class ResponseProbe {
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

export class SuiteTimeout extends Error {}
export class ExpectedFailure extends Error {}
export class NotInScope extends Error {}

/** Records when it starts (with what it saw of its request) and when it ends, after `ms`. */
export class TracedJob extends Job {
  constructor(
    readonly id: string,
    readonly ms = 0,
  ) {
    super();
  }

  @autowire()
  async handle(context: RequestContext, recorder: Recorder, probe: ResponseProbe): Promise<void> {
    recorder.record('job started', this.id, { ownContext: context.id === this.id, flushed: probe.flushed(this.id) });
    if (this.ms > 0) await tick(this.ms);
    recorder.record('job finished', this.id);
  }
}

/** Records its name. */
export class MarkJob extends Job {
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
export class FailingJob extends Job {
  constructor(readonly id: string) {
    super();
  }

  handle(): never {
    throw new ExpectedFailure(`job of ${this.id} failed`);
  }
}

/** Records each terminate of the kernel, with the request's id. */
export function countTerminations(app: Application, recorder: Recorder): void {
  app.make(HttpKernel).pushTerminable({
    terminate(_request: unknown, _response: unknown, scope: Scope) {
      recorder.record('terminate', scope.container.resolve(RequestContext).id);
    },
  });
}

/** Called by routes: names the current request in its scoped `RequestContext`. */
export function enter(id: string): RequestContext {
  const scope = currentScope();
  if (scope === undefined) throw new NotInScope('the route does not run inside a scope');
  const context = scope.container.resolve(RequestContext);
  context.id = id;
  return context;
}

export function idOf(context: RouteContext): string {
  return context.query.get('id') ?? 'none';
}

export const traced: Route = (context) => {
  const id = idOf(context);
  enter(id);
  TracedJob.dispatchAfterResponse(id, Number(context.query.get('ms') ?? 0));
  return { body: id };
};

// ---------------------------------------------------------------------------------------------
// The client side: Node's http.request on explicit agents, so sockets are under control.

export interface ClientResponse {
  status: number;
  body: string;
  /** When the last byte of the body was received. */
  receivedAt: number;
  /** How long the request took, from sending to the last byte. */
  elapsed: number;
  /** The client's local port: the same port means the same connection. */
  localPort: number | undefined;
}

export interface SendOptions {
  agent: Agent;
  method?: string;
  json?: unknown;
  id?: string;
  /** Sends the body in two parts, this many milliseconds apart (a slow upload). */
  bodyPauseMs?: number;
}

export function send(base: string, path: string, options: SendOptions): Promise<ClientResponse> {
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
export function requestContext(path: string): Record<string, unknown> {
  return { scope: 'http', method: 'GET', url: expect.stringContaining(path) };
}

export interface Harness {
  app: Application;
  url: string;
  reports: { error: unknown; context: ErrorContext }[];
  recorder: Recorder;
  agent: Agent;
  get(path: string, id?: string): Promise<ClientResponse>;
  idle(): Promise<void>;
}

export function statusRoute(): Route {
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

/** Builds the packages, starts the fixture and waits until it listens; `cleanups` stop and remove it. */
export async function launchFixture(sigterm: SigtermFixture, cleanups: Cleanup[], routeMs: number, jobMs: number): Promise<Fixture> {
  await buildPackages(sigterm.packages);
  const directory = mkdtempSync(join(tmpdir(), 'epilogue-sigterm-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  const log = join(directory, 'jobs.log');
  const child = spawn(process.execPath, [sigterm.script], {
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
export function expectNoJobLost(answered: string[], logged: string[], sent: (id: string) => boolean): void {
  expect(logged.filter((id, index) => logged.indexOf(id) !== index)).toEqual([]);
  expect(answered.filter((id) => !logged.includes(id))).toEqual([]);
  expect(logged.filter((id) => !sent(id))).toEqual([]);
}


export interface Fixture {
  url: string;
  exited: Promise<{ code: number | null; at: number }>;
  stderr(): string;
  logged(): string[];
  /** Sends SIGTERM; returns when. */
  terminate(): number;
}

export async function listeningUrl(stdout: NodeJS.ReadableStream, stderr: () => string): Promise<string> {
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
