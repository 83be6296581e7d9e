import { epilogue } from '@epilogue/fastify';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describeAdapter, fixture, routeContext } from './describe-adapter.js';

describeAdapter(
  'fastify',
  async (app, routes) => {
    const fastify = Fastify();
    await fastify.register(epilogue, { app, shutdownTimeoutMs: 2_000 });
    for (const [path, route] of Object.entries(routes)) {
      fastify.all(path, async (request, reply) => {
        const result = await route(routeContext(request.method, request.url, request.body ?? ''));
        reply.code(result.status ?? 200).headers(result.headers ?? {});
        return typeof result.body === 'object' ? Readable.from(result.body) : (result.body ?? '');
      });
    }
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    return {
      url: `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`,
      server: fastify.server,
      close: () => fastify.close(),
    };
  },
  { sigterm: { script: fixture('fastify-server.mjs'), packages: ['core', 'bus', 'fastify'] } },
);
