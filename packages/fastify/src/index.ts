/**
 * The Epilogue plugin for Fastify 5: a scope per request, deferred callbacks and after-response
 * jobs once the response is flushed (or the client went away), exactly once, and a graceful
 * `fastify.close()` that waits for that work.
 *
 * @module
 * @example
 * import Fastify from 'fastify';
 * import { Application } from '@epilogue/core';
 * import epilogue from '@epilogue/fastify';
 *
 * const app = new Application();
 * const fastify = Fastify();
 * await fastify.register(epilogue, { app });
 * fastify.get('/', async () => {
 *   SendWelcomeEmail.dispatchAfterResponse(user);
 *   return 'ok';
 * });
 * await fastify.listen({ port: 3000 });
 */
export { MissingApplicationError, PluginRegisteredTwiceError } from './errors.js';
export type { EpilogueFastifyOptions } from './options.js';
export { epilogue, epilogue as default } from './plugin.js';
