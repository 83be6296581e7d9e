import { createRequestListener } from '@epilogue/node-http';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeAdapter, fixture, routeContext, type RouteResult, type RouteTable } from './describe-adapter.js';

describeAdapter(
  'node-http',
  async (app, routes) => {
    const server = createServer(createRequestListener(app, (request, response) => serveRoute(routes, request, response)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      server,
      close: async () => {
        server.closeAllConnections();
        server.close();
        await once(server, 'close');
      },
    };
  },
  { sigterm: { script: fixture('node-http-server.mjs'), packages: ['core', 'bus', 'node-http'] } },
);

async function serveRoute(routes: RouteTable, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = request.url ?? '/';
  const route = routes[new URL(url, 'http://127.0.0.1').pathname];
  if (route === undefined) {
    response.writeHead(404).end();
    return;
  }
  let body = '';
  for await (const chunk of request) body += chunk;
  const result = await route(routeContext(request.method ?? 'GET', url, body, request.headers['content-type']));
  await write(response, result);
}

async function write(response: ServerResponse, result: RouteResult): Promise<void> {
  response.writeHead(result.status ?? 200, result.headers);
  if (result.body === undefined || typeof result.body === 'string') {
    response.end(result.body);
    return;
  }
  for await (const chunk of result.body) response.write(chunk);
  response.end();
}
