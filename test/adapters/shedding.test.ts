// Load shedding in each adapter, over a real socket: while the after-response backlog is over
// `maxPending`, `shedLoad` answers 503 with Retry-After before the route runs; once it drains,
// requests go through again. Without the option nothing is shed.
import { serve as serveFetch } from '@hono/node-server';
import { Application, defer, InvalidShedLoadOptionError, type ShedLoadOption } from '@epilogue/core';
import { epilogue as expressEpilogue } from '@epilogue/express';
import { epilogue } from '@epilogue/fastify';
import { handle } from '@epilogue/fetch';
import { createRequestListener } from '@epilogue/node-http';
import express from 'express';
import Fastify from 'fastify';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gate, waitFor } from '@epilogue-internal/test-support/waits';

// Waits for `test`, named by its source in the failure.
const until = (test: () => boolean | Promise<boolean>, ms = 5000) => waitFor(String(test), test, ms);

interface Started {
  url: string;
  close(): Promise<void>;
}

// Each adapter serves GET /hold (an after-response callback that waits for the test's gate)
// and GET / (nothing after the response), with the given shedLoad option.
type Start = (app: Application, hold: () => void, shedLoad: ShedLoadOption | undefined) => Promise<Started>;

async function listening(server: Server): Promise<Started> {
  if (!server.listening) await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const adapters: Record<string, Start> = {
  'node-http': (app, hold, shedLoad) => {
    const server = createServer(
      createRequestListener(
        app,
        (request, response) => {
          if (request.url === '/hold') hold();
          response.end('ok');
        },
        { shedLoad },
      ),
    );
    server.listen(0, '127.0.0.1');
    return listening(server);
  },
  fastify: async (app, hold, shedLoad) => {
    const fastify = Fastify();
    await fastify.register(epilogue, { app, shedLoad });
    fastify.get('/hold', async () => {
      hold();
      return 'ok';
    });
    fastify.get('/', async () => 'ok');
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    return { ...(await listening(fastify.server)), close: () => fastify.close() };
  },
  express: (app, hold, shedLoad) => {
    const expressApp = express();
    expressApp.use(expressEpilogue(app, { shedLoad }));
    expressApp.get('/hold', (_request, response) => {
      hold();
      response.send('ok');
    });
    expressApp.get('/', (_request, response) => void response.send('ok'));
    return listening(expressApp.listen(0, '127.0.0.1'));
  },
  fetch: (app, hold, shedLoad) => {
    const handler = handle(
      app,
      (request) => {
        if (new URL(request.url).pathname === '/hold') hold();
        return new Response('ok');
      },
      { shedLoad },
    );
    return listening(serveFetch({ fetch: handler, port: 0, hostname: '127.0.0.1' }) as Server);
  },
};

describe.each(Object.entries(adapters))('shedLoad with %s', (_name, start) => {
  let started: Started | undefined;
  afterEach(async () => {
    await started?.close();
    started = undefined;
  });

  async function overloadedApp(shedLoad: ShedLoadOption | undefined) {
    const app = new Application({ afterResponse: { concurrency: 1, maxPending: 0 } });
    const release = gate();
    started = await start(app, () => defer(() => release.opened), shedLoad);
    // The first held callback runs (concurrency 1), the second waits: one over maxPending.
    expect((await fetch(`${started.url}/hold`)).status).toBe(200);
    expect((await fetch(`${started.url}/hold`)).status).toBe(200);
    await until(() => app.afterResponse.overloaded);
    return { app, url: started.url, release };
  }

  it('answers 503 with Retry-After while the backlog is over maxPending, then serves again', async () => {
    const { app, url, release } = await overloadedApp({ retryAfterSeconds: 7 });
    const shed = await fetch(url);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('7');
    expect(await shed.text()).toMatch(/^Service Unavailable/);
    release.open();
    await until(() => !app.afterResponse.overloaded && app.afterResponse.stats().running === 0);
    const served = await fetch(url);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe('ok');
    expect(app.afterResponse.stats()).toMatchObject({ completed: 2, pending: 0 });
  });

  it('uses Retry-After: 1 for shedLoad: true, and sheds nothing without the option', async () => {
    const shedding = await overloadedApp(true);
    expect((await fetch(shedding.url)).headers.get('retry-after')).toBe('1');
    shedding.release.open();
    await started?.close();

    const { url, release } = await overloadedApp(undefined);
    expect((await fetch(url)).status).toBe(200);
    release.open();
  });
});

describe('the shedLoad option', () => {
  it('is checked when the adapter is set up, with a typed error', async () => {
    const app = new Application();
    for (const option of [0 as never, { retryAfterSeconds: 0 }, { retryAfterSeconds: 1.5 }, 'yes' as never]) {
      expect(() => createRequestListener(app, () => undefined, { shedLoad: option })).toThrow(InvalidShedLoadOptionError);
      expect(() => expressEpilogue(app, { shedLoad: option })).toThrow(/shedLoad takes true, false or \{ retryAfterSeconds \}/);
      expect(() => handle(app, () => new Response(''), { shedLoad: option })).toThrow(InvalidShedLoadOptionError);
    }
    const fastify = Fastify();
    await expect(fastify.register(epilogue, { app, shedLoad: { retryAfterSeconds: -1 } }).ready()).rejects.toThrow(
      InvalidShedLoadOptionError,
    );
  });
});
