// The HTTP test client against every real adapter: requests over a real socket (or, for the
// fetch adapter, a Web Request), resolved only once the after-response work has run.
import { Job } from '@epilogue/bus';
import { Application, defer } from '@epilogue/core';
import { epilogue as expressEpilogue } from '@epilogue/express';
import { epilogue } from '@epilogue/fastify';
import { handle } from '@epilogue/fetch';
import { createRequestListener, serve } from '@epilogue/node-http';
import {
  fakeBus,
  InvalidRequestTargetError,
  request,
  restoreFakes,
  TerminateTimeoutError,
  TestRequestFailedError,
  whenIdle,
  type RequestTarget,
} from '@epilogue/testing';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tick } from '@epilogue-internal/test-support/waits';
const sent: string[] = [];

class SendWelcomeEmail extends Job {
  constructor(public email: string) {
    super();
  }
  async handle() {
    await tick(30);
    sent.push(this.email);
  }
}

/** Registers `email`: answers 201 at once, sends the welcome email after the response. */
function register(email: string): { status: number; body: string } {
  SendWelcomeEmail.dispatchAfterResponse(email);
  defer(() => sent.push(`deferred ${email}`));
  return { status: 201, body: JSON.stringify({ registered: email }) };
}

async function readJson(request: IncomingMessage): Promise<{ email: string }> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return JSON.parse(text) as { email: string };
}

function nodeHandler(request: IncomingMessage, response: ServerResponse): Promise<void> {
  return readJson(request).then(({ email }) => {
    const { status, body } = register(email);
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
}

const closers: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  restoreFakes();
  for (const close of closers.splice(0)) await close();
});

const adapters: [string, (app: Application) => Promise<RequestTarget>][] = [
  ['node-http (createRequestListener)', async (app) => createRequestListener(app, nodeHandler)],
  [
    'Express',
    async (app) => {
      const expressApp = express();
      expressApp.use(expressEpilogue(app));
      expressApp.use(express.json());
      expressApp.post('/register', (req, res) => {
        const { status, body } = register((req.body as { email: string }).email);
        res.status(status).type('application/json').send(body);
      });
      return expressApp;
    },
  ],
  [
    'Fastify',
    async (app) => {
      const fastify: FastifyInstance = Fastify();
      await fastify.register(epilogue, { app });
      fastify.post('/register', async (req, reply) => {
        const { status, body } = register((req.body as { email: string }).email);
        return reply.code(status).type('application/json').send(body);
      });
      closers.push(() => fastify.close());
      return fastify;
    },
  ],
  [
    'fetch (handle)',
    async (app) => ({
      fetch: handle(app, async (req: Request) => {
        const { status, body } = register(((await req.json()) as { email: string }).email);
        return new Response(body, { status, headers: { 'content-type': 'application/json' } });
      }),
    }),
  ],
];

describe.each(adapters)('request() through %s', (_name, target) => {
  it('resolves after the response and after the after-response work, with no sleep in the test', async () => {
    sent.length = 0;
    const app = new Application({ report: () => undefined });
    const response = await request(app, await target(app)).post('/register', { email: 'ada@example.com' });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ registered: 'ada@example.com' });
    expect(sent).toEqual(['deferred ada@example.com', 'ada@example.com']);
    expect(app.activeScopes).toBe(0);
  });

  it('asserts in one line that the request dispatched the job after the response', async () => {
    const app = new Application({ report: () => undefined });
    const bus = fakeBus(app);
    await request(app, await target(app)).post('/register', { email: 'ada@example.com' });
    bus.assertDispatchedAfterResponse(SendWelcomeEmail, (job) => job.email === 'ada@example.com');
  });
});

describe('request() targets', () => {
  it('uses a server that already listens as it is, and leaves it listening', async () => {
    sent.length = 0;
    const app = new Application({ report: () => undefined });
    const server = await serve(app, nodeHandler, { signals: [] });
    closers.push(async () => {
      server.close();
      await once(server, 'close');
    });
    await request(app, server).post('/register', { email: 'ada@example.com' });
    expect(sent).toEqual(['deferred ada@example.com', 'ada@example.com']);
    expect(server.listening).toBe(true);
  });

  it('listens with a server that does not listen yet for each request only', async () => {
    const app = new Application({ report: () => undefined });
    const server = createServer(createRequestListener(app, nodeHandler));
    const client = request(app, server);
    await client.post('/register', { email: 'a@example.com' });
    expect(server.listening).toBe(false);
    await client.post('/register', { email: 'b@example.com' });
    expect(server.listening).toBe(false);
  });

  it('sends the method, path, headers and a text body as given, and reads any body', async () => {
    const app = new Application({ report: () => undefined });
    const echo = createRequestListener(app, async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(`${req.method} ${req.url} ${req.headers['x-test']} ${req.headers['content-type']} ${body}`);
    });
    const client = request(app, echo);
    const put = await client.put('items/1?x=1', 'plain', { headers: { 'X-Test': 'yes', 'content-type': 'text/plain' } });
    expect(put.text).toBe('PUT /items/1?x=1 yes text/plain plain');
    expect(put.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect((await client.delete('/items/1')).text).toBe('DELETE /items/1 undefined undefined ');
    expect((await client.head('/')).text).toBe('');
    expect((await client.send('options', '/')).text).toMatch(/^OPTIONS \//);
  });

  it('refuses a target it cannot send requests to', () => {
    const app = new Application();
    expect(() => request(app, 42 as never)).toThrow(InvalidRequestTargetError);
    expect(() => request(app, {} as never)).toThrow(/request\(app, target\) serves a Node request listener/);
  });
});

describe('request() failures', () => {
  it('fails with TerminateTimeoutError when after-response work does not finish in time', async () => {
    const app = new Application({ report: () => undefined });
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const listener = createRequestListener(app, (_req, res) => {
      app.terminating(() => stuck);
      res.end('ok');
    });
    const answered = request(app, listener, { terminateTimeoutMs: 50 }).get('/stuck');
    await expect(answered).rejects.toThrow(TerminateTimeoutError);
    await expect(answered).rejects.toThrow(/The response to GET \/stuck arrived, but 1 request\(s\).*still in flight 50 ms later/);
    release();
    await request(app, listener).get('/again').catch(() => undefined);
  });

  it('fails with TestRequestFailedError when the handler drops the connection', async () => {
    const app = new Application({ report: () => undefined });
    const listener = createRequestListener(app, (req) => {
      req.socket.destroy();
    });
    const failed = request(app, listener).get('/drop');
    await expect(failed).rejects.toThrow(TestRequestFailedError);
    await expect(failed).rejects.toThrow(/GET \/drop failed before a whole response arrived/);
  });
});

describe('whenIdle()', () => {
  it('waits for the after-response work of requests sent another way', async () => {
    sent.length = 0;
    const app = new Application({ report: () => undefined });
    const server = await serve(app, nodeHandler, { signals: [] });
    closers.push(async () => {
      server.close();
      await once(server, 'close');
    });
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/register`, { method: 'POST', body: '{"email":"ada@example.com"}' });
    expect(response.status).toBe(201);
    await response.text();
    await whenIdle(app);
    expect(sent).toEqual(['deferred ada@example.com', 'ada@example.com']);
    await whenIdle(app);
  });

  it('fails with TerminateTimeoutError when work stays in flight', async () => {
    const app = new Application({ report: () => undefined });
    let release!: () => void;
    const running = app.runInScope(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(whenIdle(app, { timeoutMs: 20 })).rejects.toThrow(/1 request\(s\).*still in flight after 20 ms/);
    release();
    await running;
  });
});
