// The shared adapter behaviour suite, run against @epilogue/express on Express 5 and Express 4,
// set up as docs/adapters/express.md shows.
import { epilogue, reportErrors } from '@epilogue/express';
import express5, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describeAdapter, fixture, routeContext, type RouteResult, type ServerFactory } from './describe-adapter.js';

type ExpressFactory = typeof express5;

function expressServer(express: ExpressFactory): ServerFactory {
  return async (app, routes) => {
    const expressApp = express();
    expressApp.use(epilogue(app));
    expressApp.use(express.json());
    expressApp.use(express.text({ type: () => true }));
    for (const [path, route] of Object.entries(routes)) {
      // Express 4 does not catch rejections: the handler passes them to next(), as users do.
      expressApp.all(path, async (req: Request, res: Response, next: NextFunction) => {
        try {
          const body = req.is('application/json') || typeof req.body === 'string' ? req.body : '';
          await write(res, await route(routeContext(req.method, req.originalUrl, body)));
        } catch (error) {
          next(error);
        }
      });
    }
    expressApp.use(reportErrors(app));
    const server = expressApp.listen(0, '127.0.0.1');
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
  };
}

async function write(res: Response, result: RouteResult): Promise<void> {
  res.status(result.status ?? 200).set(result.headers ?? {});
  if (result.body === undefined || typeof result.body === 'string') {
    res.send(result.body ?? '');
    return;
  }
  for await (const chunk of result.body) res.write(chunk);
  res.end();
}

describeAdapter('express (Express 5)', expressServer(express5), {
  sigterm: { script: fixture('express5-server.mjs'), packages: ['core', 'bus', 'node-http', 'express'] },
});

describeAdapter('express (Express 4)', expressServer(express4 as unknown as ExpressFactory), {
  sigterm: { script: fixture('express4-server.mjs'), packages: ['core', 'bus', 'node-http', 'express'] },
});
