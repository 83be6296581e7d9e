/**
 * Run an Epilogue application as a Web-standard fetch handler: Cloudflare Workers, Vercel,
 * Deno, Bun, Hono, or Node through `@hono/node-server`. Each request gets a scope; after-response
 * work runs through the platform's `waitUntil` when it has one, else once the response body has
 * been read to the end.
 *
 * @module
 * @example
 * import { Application } from '@epilogue/core';
 * import { handle } from '@epilogue/fetch';
 *
 * const app = new Application();
 * export default {
 *   fetch: handle(app, (request) => {
 *     SendWelcomeEmail.dispatchAfterResponse(new URL(request.url).searchParams.get('email'));
 *     return new Response('ok');
 *   }),
 * };
 */
export { InvalidResponseError } from './errors.js';
export { handle } from './handle.js';
export type { EpilogueFetchHandler, FetchHandler, HandleOptions } from './handle.js';
export type { WaitUntilContext } from './response-end.js';
