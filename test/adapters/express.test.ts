import { Application, currentScope, defer } from '@epilogue/core';
import { epilogue, ExpressMountedAfterRoutesError, reportErrors } from '@epilogue/express';
import express5 from 'express';
import express4 from 'express4';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { idle, recordingApp } from '@epilogue-internal/test-support/app';
import { gate, tick } from '@epilogue-internal/test-support/waits';

type ExpressFactory = typeof express5;

describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressFactory],
])('@epilogue/express on %s', (_name, express) => {
  const servers: Server[] = [];

  async function listen(app: Application, routes: (expressApp: ReturnType<ExpressFactory>) => void) {
    const expressApp = express();
    expressApp.use(epilogue(app));
    routes(expressApp);
    const server = expressApp.listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  it('runs the routes inside an http scope that names the method and original URL', async () => {
    const { app } = recordingApp();
    let seen: { kind?: string; details?: unknown; app?: unknown } = {};
    const url = await listen(app, (expressApp) => {
      const router = express.Router();
      router.get('/item', (_req, res) => {
        const scope = currentScope();
        seen = { kind: scope?.kind, details: scope?.details, app: scope?.app };
        res.send('ok');
      });
      expressApp.use('/api', router);
    });
    await fetch(`${url}/api/item?x=1`).then((response) => response.text());
    expect(seen).toEqual({ kind: 'http', details: { method: 'GET', url: '/api/item?x=1' }, app });
  });

  it('keeps the scope through body parsing and awaits in the handler', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const url = await listen(app, (expressApp) => {
      expressApp.use(express.json());
      expressApp.post('/users', (req, res, next) => {
        Promise.resolve()
          .then(() => tick(5))
          .then(() => {
            defer(() => ran.push(`welcome ${req.body.name}`));
            res.status(201).send('created');
          })
          .catch(next);
      });
    });
    const response = await fetch(`${url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ada' }),
    });
    expect(response.status).toBe(201);
    await response.text();
    await idle(app);
    expect(ran).toEqual(['welcome ada']);
  });

  it('runs after-response work only after the client has the whole response', async () => {
    const { app } = recordingApp();
    const release = gate();
    const events: string[] = [];
    const url = await listen(app, (expressApp) => {
      expressApp.get('/', (_req, res) => {
        app.terminating(async () => {
          events.push('job started');
          await release.opened;
          events.push('job finished');
        });
        res.send('ok');
      });
    });
    const response = await fetch(url);
    expect(await response.text()).toBe('ok');
    events.push('client has the response');
    expect(app.activeScopes).toBe(1);
    release.open();
    await idle(app);
    expect(events.indexOf('client has the response')).toBeLessThan(events.indexOf('job finished'));
  });

  it('starts after-response work once a streamed body has ended', async () => {
    const { app } = recordingApp();
    const events: string[] = [];
    const url = await listen(app, (expressApp) => {
      expressApp.get('/stream', async (_req, res) => {
        defer(() => events.push('terminate'));
        res.write('a');
        await tick(20);
        events.push('last chunk written');
        res.end('b');
      });
    });
    expect(await fetch(`${url}/stream`).then((response) => response.text())).toBe('ab');
    await idle(app);
    expect(events).toEqual(['last chunk written', 'terminate']);
  });

  it('runs deferred callbacks below 400 and only the always ones for an error status', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const url = await listen(app, (expressApp) => {
      expressApp.get('/:status', (req, res) => {
        defer(() => ran.push(`${req.params.status} deferred`));
        defer(() => ran.push(`${req.params.status} always`), undefined, true);
        app.terminating(() => ran.push(`${req.params.status} terminating`));
        res.status(Number(req.params.status)).end();
      });
    });
    await fetch(`${url}/204`);
    await idle(app);
    await fetch(`${url}/422`);
    await idle(app);
    expect(ran).toEqual(['204 deferred', '204 always', '204 terminating', '422 always', '422 terminating']);
  });

  it('treats the 500 Express sends for a throwing route as a failed request', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const url = await listen(app, (expressApp) => {
      expressApp.get('/', () => {
        defer(() => ran.push('deferred'));
        defer(() => ran.push('always')).always(true);
        throw new Error('route failed');
      });
      expressApp.use((_error: unknown, _req: unknown, res: { status(code: number): { send(body: string): void } }, _next: unknown) => {
        res.status(500).send('failed');
      });
    });
    expect((await fetch(url)).status).toBe(500);
    await idle(app);
    expect(ran).toEqual(['always']);
  });

  it('reports route errors with the request context through reportErrors() and leaves the answer to the next error handler', async () => {
    const { app, reports } = recordingApp();
    const url = await listen(app, (expressApp) => {
      expressApp.post('/orders', () => {
        throw new Error('out of stock');
      });
      expressApp.use(reportErrors(app));
      expressApp.use((_error: unknown, _req: unknown, res: { status(code: number): { send(body: string): void } }, _next: unknown) => {
        res.status(409).send('conflict');
      });
    });
    const response = await fetch(`${url}/orders?id=7`, { method: 'POST' });
    expect(response.status).toBe(409);
    expect(await response.text()).toBe('conflict');
    await idle(app);
    expect(reports).toHaveLength(1);
    expect((reports[0].error as Error).message).toBe('out of stock');
    expect(reports[0].context).toEqual({ phase: 'request', scope: 'http', method: 'POST', url: '/orders?id=7' });
  });

  it('terminates exactly once when the client goes away before the response', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const arrived = gate();
    const url = await listen(app, (expressApp) => {
      expressApp.get('/slow', async (_req, res) => {
        app.terminating(() => ran.push('terminating'));
        arrived.open();
        await tick(50);
        res.send('too late');
      });
    });
    const request = httpRequest(`${url}/slow`);
    request.on('error', () => undefined);
    request.end();
    await arrived.opened;
    request.destroy();
    await tick(100);
    await idle(app);
    expect(ran).toEqual(['terminating']);
  });

  it('keeps concurrent requests apart', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const url = await listen(app, (expressApp) => {
      expressApp.get('/:id', async (req, res) => {
        defer(() => ran.push(req.params.id), 'same name in every request');
        await tick(Number(req.params.id) % 3);
        res.send(req.params.id);
      });
    });
    const ids = Array.from({ length: 20 }, (_, i) => String(i));
    await Promise.all(ids.map((id) => fetch(`${url}/${id}`).then((response) => response.text())));
    await idle(app);
    expect([...ran].sort()).toEqual([...ids].sort());
  });

  describe('mounted after routes', () => {
    // An application whose first report resolves `reported`.
    function reportingApp() {
      const reports: { error: unknown; context: unknown }[] = [];
      let first!: () => void;
      const reported = new Promise<void>((resolve) => (first = resolve));
      const app = new Application({
        report: (error, context) => {
          reports.push({ error, context });
          first();
        },
      });
      return { app, reports, reported };
    }

    async function serve(expressApp: ReturnType<ExpressFactory>) {
      const server = expressApp.listen(0, '127.0.0.1');
      servers.push(server);
      await once(server, 'listening');
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }

    it('reports E_EXPRESS_MOUNTED_AFTER_ROUTES once, at the first request a route before it answered', async () => {
      const { app, reports, reported } = reportingApp();
      const ran: string[] = [];
      const expressApp = express();
      expressApp.post('/register', (_req, res) => {
        defer(() => ran.push('welcome email'));
        res.status(201).send('created');
      });
      expressApp.use(epilogue(app));
      const url = await serve(expressApp);

      expect((await fetch(`${url}/register?id=1`, { method: 'POST' })).status).toBe(201);
      await reported;
      expect((await fetch(`${url}/register?id=2`, { method: 'POST' })).status).toBe(201);
      expect(reports).toHaveLength(1);
      expect(reports[0].error).toBeInstanceOf(ExpressMountedAfterRoutesError);
      expect(reports[0].error).toMatchObject({ code: 'E_EXPRESS_MOUNTED_AFTER_ROUTES' });
      expect((reports[0].error as Error).message).toContain('POST /register');
      expect((reports[0].error as Error).message).toContain('Mount the middleware before the routes');
      expect(reports[0].context).toEqual({ phase: 'request', scope: 'root', method: 'POST', url: '/register?id=1' });
      // What the reported mistake does: the route's deferred work waits for the root scope.
      expect(ran).toEqual([]);
      await app.terminate();
      expect(ran).toEqual(['welcome email', 'welcome email']);
    });

    it('reports a route of a router mounted before it', async () => {
      const { app, reports, reported } = reportingApp();
      const expressApp = express();
      const router = express.Router();
      router.get('/items', (_req, res) => res.send('items'));
      expressApp.use('/api', router);
      expressApp.use(express.json(), epilogue(app));
      const url = await serve(expressApp);

      expect(await fetch(`${url}/api/items`).then((response) => response.text())).toBe('items');
      await reported;
      expect((reports[0].error as Error).message).toContain('GET /items');
    });

    // Resolves once the server has finished the response to `url` and the check (subscribed
    // first) has seen it: subscribers are called in order.
    function responseFinished(url: string) {
      return new Promise<void>((resolve) => {
        const seen = (message: unknown) => {
          const { request } = message as { request: { url?: string; originalUrl?: string } };
          if ((request.originalUrl ?? request.url) !== url) return;
          unsubscribe('http.server.response.finish', seen);
          resolve();
        };
        subscribe('http.server.response.finish', seen);
      });
    }

    it('reports nothing when it comes first, when the route before it passes the request on, or for what is not a route', async () => {
      const { app, reports } = reportingApp();
      const expressApp = express();
      expressApp.use('/health', (_req, res) => void res.send('up'));  // middleware, not a route
      expressApp.get('/', (_req, _res, next) => next());
      expressApp.use(epilogue(app));
      expressApp.get('/', (_req, res) => res.send('ok'));
      const url = await serve(expressApp);
      // Another Express app of the process, without the middleware, is none of its business.
      const other = express();
      other.get('/other', (_req, res) => res.send('other'));
      const otherUrl = await serve(other);

      const seen = [responseFinished('/'), responseFinished('/health'), responseFinished('/other')];
      expect(await fetch(url).then((response) => response.text())).toBe('ok');
      expect(await fetch(`${url}/health`).then((response) => response.text())).toBe('up');
      expect(await fetch(`${otherUrl}/other`).then((response) => response.text())).toBe('other');
      await Promise.all(seen);
      await idle(app);
      expect(reports).toEqual([]);
    });
  });

  it('lets app.shutdown() wait for in-flight after-response work', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const url = await listen(app, (expressApp) => {
      expressApp.get('/', (_req, res) => {
        app.terminating(async () => {
          await tick(50);
          ran.push('job finished');
        });
        res.send('ok');
      });
    });
    await fetch(url).then((response) => response.text());
    expect(app.activeScopes).toBe(1);
    await app.shutdown({ timeoutMs: 2_000 });
    expect(ran).toEqual(['job finished']);
  });
});
