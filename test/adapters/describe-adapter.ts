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
import { Application, currentScope, defer, Lifecycle } from '@epilogue/core';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tick } from '@epilogue-internal/test-support/waits';
import {
  countTerminations,
  enter,
  ExpectedFailure,
  expectNoJobLost,
  FailingJob,
  idOf,
  launchFixture,
  MarkJob,
  Recorder,
  RequestContext,
  requestContext,
  ResponseProbe,
  send,
  statusRoute,
  traced,
  TracedJob,
  type AdapterSuiteOptions,
  type Cleanup,
  type Harness,
  type RouteTable,
  type ServerFactory,
} from './describe-adapter-helpers.js';

export { fixture, routeContext } from './describe-adapter-helpers.js';
export type {
  AdapterSuiteOptions,
  Route,
  RouteContext,
  RouteResult,
  RouteTable,
  RunningServer,
  ServerFactory,
} from './describe-adapter-helpers.js';

/**
 * Runs the adapter behaviour suite against one adapter.
 *
 * @param name - The adapter's name, for the test titles.
 * @param factory - Starts a real server for an application and a route table (see the contract above).
 * @param options - The SIGTERM fixture, when the adapter has a process-level graceful stop.
 */
export function describeAdapter(name: string, factory: ServerFactory, options: AdapterSuiteOptions = {}): void {
  describe(`the ${name} adapter`, () => {
    const cleanups: Cleanup[] = [];

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
          await tick(5);
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
            await tick(150);
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
      await tick(50);
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
            await tick(100);
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
      await tick(150);
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
                await tick(30);
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
      await tick(20);
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
    const startFixture = (routeMs: number, jobMs: number) => launchFixture(sigterm!, cleanups, routeMs, jobMs);

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
          if (status !== 200) await tick(10);
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
