// Benchmark 2: the Epilogue Fastify plugin against bare Fastify, same shape as benchmark 1: a
// hello-world route that dispatches one after-response job per request, and one that does not.
import { AsyncLocalStorage } from 'node:async_hooks';
import Fastify from 'fastify';
import { ADAPTER_BUDGETS, compareAdapter, countingNoop, epilogueApp } from './http-adapter.mjs';
import { importPackage, isBuilt } from './lib/paths.mjs';

const BODY = 'Hello, World!';

export const servers = {
  bare: async () => {
    const fastify = Fastify({ logger: false });
    fastify.get('/', async () => BODY);
    return listen(fastify);
  },

  // The AsyncLocalStorage floor, as in benchmark 1: bare Fastify plus an onRequest hook that runs
  // the rest of the request in a storage.
  'bare-als': async () => {
    const storage = new AsyncLocalStorage();
    const fastify = Fastify({ logger: false });
    fastify.addHook('onRequest', (request, reply, done) => storage.run(request, done));
    fastify.get('/', async () => BODY);
    return listen(fastify);
  },

  // The after-response floor, as in benchmark 1: the ALS reference plus an async no-op run in the
  // request's store once the raw response has finished. (A Fastify `onResponse` hook instead
  // costs more than the whole Epilogue plugin: it makes Fastify run its hook chain per request.)
  'bare-als-job': async () => {
    const storage = new AsyncLocalStorage();
    const { job, jobs } = countingNoop();
    const fastify = Fastify({ logger: false });
    fastify.addHook('onRequest', (request, reply, done) => {
      reply.raw.once('finish', () => storage.run(request, job));
      storage.run(request, done);
    });
    fastify.get('/', async () => BODY);
    return { ...(await listen(fastify)), jobs };
  },

  epilogue: async () => {
    const { app, Noop, jobs } = await epilogueApp();
    const { epilogue } = await importPackage('fastify');
    const fastify = Fastify({ logger: false });
    await fastify.register(epilogue, { app });
    fastify.get('/', async () => {
      Noop.dispatchAfterResponse();
      return BODY;
    });
    return { ...(await listen(fastify)), app, jobs };
  },

  'epilogue-no-job': async () => {
    const { app } = await epilogueApp();
    const { epilogue } = await importPackage('fastify');
    const fastify = Fastify({ logger: false });
    await fastify.register(epilogue, { app });
    fastify.get('/', async () => BODY);
    return { ...(await listen(fastify)), app };
  },
};

async function listen(fastify) {
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: fastify.server.address().port,
    close: () => {
      fastify.server.closeAllConnections();
      return fastify.close();
    },
  };
}

export const title = 'Fastify plugin vs bare Fastify';

/** Whether the benchmark can run: the plugin must be built. */
export function available() {
  return isBuilt('fastify') ? true : 'packages/fastify/dist is missing (build packages/fastify)';
}

/** Runs the comparison and returns table rows. */
export function run(options) {
  return compareAdapter(
    import.meta.url,
    'fastify',
    {
      epilogue: 'plugin + 1 after-response job',
      'epilogue-no-job': 'plugin, no job',
      'bare-als': { label: 'bare + onRequest AsyncLocalStorage.run (reference)' },
      'bare-als-job': { label: "bare + onRequest AsyncLocalStorage.run + an async no-op on 'finish' (reference)" },
    },
    'bare Fastify',
    options,
    ADAPTER_BUDGETS,
  );
}
