import type { Application } from '@epilogue/core';
import { createServer, type Server } from 'node:http';
import { ListenError } from './errors.js';
import { createRequestListener, type NodeHandler, type RequestListenerOptions } from './request-listener.js';

/** Options of `serve()`. */
export interface ServeOptions extends RequestListenerOptions {
  /** The port; 0 (the default) picks a free one, read it from `server.address()`. */
  port?: number;
  /** The host; `127.0.0.1` by default. */
  host?: string;
  /** How long a graceful stop waits for in-flight responses and their after-response work. Default: 10,000 ms. */
  shutdownTimeoutMs?: number;
  /** Signals that start a graceful stop; `['SIGTERM', 'SIGINT']` by default, `[]` for none. */
  signals?: NodeJS.Signals[];
  /** Whether to end the process (exit code 0) after a stop caused by a signal. Default: true. */
  exitOnSignal?: boolean;
}

/**
 * Starts an HTTP server for `handler` (see `createRequestListener`) and stops it gracefully on
 * SIGTERM/SIGINT or `app.shutdown()`: it stops accepting connections, lets in-flight responses
 * and their after-response work finish (up to `shutdownTimeoutMs`), then closes what is left.
 *
 * @returns The listening server.
 * @throws {ListenError} When the server cannot listen.
 * @example
 * const server = await serve(app, handler, { port: 3000 });
 */
export async function serve(app: Application, handler: NodeHandler, options: ServeOptions = {}): Promise<Server> {
  const { port = 0, host = '127.0.0.1', shutdownTimeoutMs = 10_000 } = options;
  const server = createServer(createRequestListener(app, handler, options));
  await listen(server, port, host);

  // Requests still arriving on kept-alive connections are answered with `Connection: close`
  // by the request listener once shutdown has begun, so those connections drain too.
  const removeHook = app.onShutdownStart(() => {
    server.close();
    server.closeIdleConnections();
  });
  const stopBySignal = () => {
    void stop(app, server, shutdownTimeoutMs).then(() => {
      if (options.exitOnSignal ?? true) process.exit(0);
    });
  };
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  for (const signal of signals) process.once(signal, stopBySignal);
  server.once('close', () => {
    removeHook();
    for (const signal of signals) process.off(signal, stopBySignal);
  });
  return server;
}

async function stop(app: Application, server: Server, timeoutMs: number): Promise<void> {
  await app.shutdown({ timeoutMs });
  server.closeAllConnections();
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => reject(ListenError.at(`${host}:${port}`, error));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
