// The shared adapter behaviour suite, run against @epilogue/fetch wrapping a Hono app served by
// @hono/node-server, set up as docs/adapters/fetch.md shows. Twice: with the Node bindings that
// @hono/node-server passes (the end of the response is the Node response's 'finish'), and
// without them, as on runtimes that pass nothing but the request (Bun, Deno): there the end is
// when the server has read the response body to the end.
import { serve } from '@hono/node-server';
import type { Application } from '@epilogue/core';
import { handle } from '@epilogue/fetch';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeAdapter, fixture, routeContext, type RouteResult, type RouteTable, type ServerFactory } from './describe-adapter.js';

function honoApp(routes: RouteTable): Hono {
  const hono = new Hono();
  for (const [path, route] of Object.entries(routes)) {
    hono.all(path, async (c) => {
      const json = c.req.header('content-type')?.startsWith('application/json') === true;
      const body = json ? await c.req.json() : await c.req.text();
      return toResponse(await route(routeContext(c.req.method, c.req.url, body)));
    });
  }
  // Errors go on to handle(), which reports them and answers 500.
  hono.onError((error) => {
    if (error instanceof HTTPException) return error.getResponse();
    throw error;
  });
  return hono;
}

function toResponse(result: RouteResult): Response {
  const init = { status: result.status ?? 200, headers: result.headers };
  if (result.body === undefined || typeof result.body === 'string') return new Response(result.body ?? '', init);
  const chunks = result.body[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
  return new Response(body, init);
}

function honoServer(withNodeBindings: boolean): ServerFactory {
  return async (app: Application, routes: RouteTable) => {
    const respond = handle(app, honoApp(routes).fetch);
    const fetch = withNodeBindings ? respond : (request: Request) => respond(request);
    const server = await new Promise<Server>((resolve) => {
      const started = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
    });
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      server,
      close: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  };
}

describeAdapter('fetch (Hono on @hono/node-server)', honoServer(true), {
  sigterm: { script: fixture('fetch-server.mjs'), packages: ['core', 'bus', 'fetch'] },
});

describeAdapter('fetch (Hono, response body watched)', honoServer(false));
