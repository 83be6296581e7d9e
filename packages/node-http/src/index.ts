/**
 * Run an Epilogue application on Node's own `http` server: a scope per request, after-response
 * work once the response is flushed, and a graceful stop on SIGTERM.
 *
 * @module
 * @example
 * import { Application } from '@epilogue/core';
 * import { serve } from '@epilogue/node-http';
 *
 * const app = new Application();
 * await serve(app, (req, res) => {
 *   SendWelcomeEmail.dispatchAfterResponse(user);
 *   res.end('ok');
 * }, { port: 3000 });
 */
export { ListenError } from './errors.js';
export { createRequestListener, shedResponse } from './request-listener.js';
export type { NodeHandler, RequestListenerOptions } from './request-listener.js';
export { onResponseEnd } from './response-end.js';
export { serve } from './serve.js';
export type { ServeOptions } from './serve.js';
