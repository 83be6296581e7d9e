import { Application, loadShedder, SHED_BODY } from '@epilogue/core';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { MissingApplicationError, PluginRegisteredTwiceError } from './errors.js';
import type { EpilogueFastifyOptions } from './options.js';
import { createRequestHooks, SCOPE } from './request-hooks.js';

const register: FastifyPluginAsync<EpilogueFastifyOptions> = async (fastify, options) => {
  const app = (options as Partial<EpilogueFastifyOptions> | undefined)?.app;
  if (!(app instanceof Application)) throw MissingApplicationError.inPluginOptions(app);
  // Checked before anything is added: Fastify's own error for the second decoration
  // (FST_ERR_DEC_ALREADY_PRESENT) would name a symbol and not the plugin.
  if (fastify.hasRequestDecorator(SCOPE)) throw PluginRegisteredTwiceError.onInstance();
  const hooks = createRequestHooks(app);
  const shedder = loadShedder(app, options.shedLoad);
  if (shedder !== undefined) {
    fastify.addHook('onRequest', (_request, reply, done) => {
      if (!shedder.shed()) return done();
      void reply.code(503).header('retry-after', shedder.retryAfter).type('text/plain; charset=utf-8').send(SHED_BODY);
    });
  }
  fastify.decorateRequest(SCOPE, null);
  fastify.addHook('onRequest', hooks.onRequest);
  fastify.addHook('preValidation', hooks.preValidation);
  fastify.addHook('onError', hooks.onError);
  bindShutdown(fastify, app, options.shutdownTimeoutMs);
};

/**
 * The Epilogue plugin for Fastify 5. Every request gets its own scope, and the route handler
 * (with its `preValidation`, `preHandler` and later hooks) runs inside it, so `defer()` and
 * `Job.dispatchAfterResponse()` there belong to the request. Once the response is flushed, or
 * the client went away first, the kernel's terminate phase runs that request's deferred
 * callbacks and after-response jobs, exactly once. Errors that become a 5xx response are
 * reported to the application's reporter.
 *
 * `fastify.close()` waits for in-flight requests and their after-response work (`app.shutdown()`)
 * before the server and the other plugins close; `app.shutdown()` in turn closes Fastify.
 *
 * Options: `app`, the Epilogue application (required); `shutdownTimeoutMs`, how long closing
 * waits for that work (10,000 ms by default); `shedLoad`, answer 503 with `Retry-After` while
 * the after-response backlog is over its limit (off by default).
 *
 * @throws {MissingApplicationError} From `register`/`ready` when `app` is not an Epilogue `Application`.
 * @throws {PluginRegisteredTwiceError} From `register`/`ready` when the plugin is registered on
 *   this instance (or an ancestor) already.
 * @throws {InvalidShedLoadOptionError} From `register`/`ready` for a `shedLoad` option it cannot read.
 * @example
 * const app = new Application();
 * const fastify = Fastify();
 * await fastify.register(epilogue, { app });
 * fastify.post('/users', async (request) => {
 *   SendWelcomeEmail.dispatchAfterResponse(request.body.email);
 *   return { created: true };
 * });
 * await fastify.listen({ port: 3000 });
 */
export const epilogue = fastifyPlugin(register, { fastify: '5.x', name: '@epilogue/fastify' });

// Two ways in, one shutdown. `app.shutdown()` closes Fastify through an onShutdownStart hook, which it
// does not await (the close itself waits for the shutdown). `fastify.close()` waits for the
// application in `preClose`: Fastify already answers new requests with 503 by then, the server
// is still open so in-flight responses complete, and plugins registered after this one (a
// database pool, say) have not closed yet, so after-response jobs can still use them.
function bindShutdown(fastify: FastifyInstance, app: Application, timeoutMs: number | undefined): void {
  const removeHook = app.onShutdownStart(() => fastify.close());
  const shutdown = async () => {
    removeHook();
    await app.shutdown({ timeoutMs });
  };
  fastify.addHook('preClose', shutdown);
  // preClose only runs for an instance that became ready; onClose covers the others.
  fastify.addHook('onClose', shutdown);
}
