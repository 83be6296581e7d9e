import { type Application, currentScope, EpilogueError } from '@epilogue/core';
import epilogue, { epilogue as named, MissingApplicationError, PluginRegisteredTwiceError } from '@epilogue/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { AsyncResource } from 'node:async_hooks';
import { idle, recordingApp } from '@epilogue-internal/test-support/app';
import { tick } from '@epilogue-internal/test-support/waits';

describe('@epilogue/fastify', () => {
  const instances: FastifyInstance[] = [];

  function fastifyFor(app: Application): FastifyInstance {
    const fastify = Fastify();
    instances.push(fastify);
    void fastify.register(epilogue, { app });
    return fastify;
  }

  afterEach(async () => {
    for (const fastify of instances.splice(0)) await fastify.close();
  });

  it('exports the plugin as the default export and as epilogue', () => {
    expect(named).toBe(epilogue);
  });

  it('refuses to start without an Epilogue application, with a stable code', async () => {
    const fastify = Fastify();
    instances.push(fastify);
    void fastify.register(epilogue, {} as never);
    const error = await fastify.ready().then(() => undefined, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(MissingApplicationError);
    expect(error).toBeInstanceOf(EpilogueError);
    expect(error).toMatchObject({ code: 'E_FASTIFY_APP_REQUIRED' });
    expect((error as Error).message).toContain('the app option held undefined (nothing was given)');
  });

  it('refuses a second registration on the same instance with E_FASTIFY_REGISTERED_TWICE', async () => {
    const { app } = recordingApp();
    const fastify = fastifyFor(app);
    void fastify.register(epilogue, { app });
    const error = await fastify.ready().then(() => undefined, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(PluginRegisteredTwiceError);
    expect(error).toMatchObject({ code: 'E_FASTIFY_REGISTERED_TWICE' });
    expect((error as Error).message).toContain('Register it once, on the root instance');
  });

  it('takes one registration in each of two sibling plugins', async () => {
    const { app } = recordingApp();
    const fastify = Fastify();
    instances.push(fastify);
    for (const prefix of ['/a', '/b']) {
      void fastify.register(
        async (child) => {
          await child.register(epilogue, { app });
          child.get('/', async () => currentScope()?.kind ?? 'no scope');
        },
        { prefix },
      );
    }
    expect((await fastify.inject('/a')).body).toBe('http');
    expect((await fastify.inject('/b')).body).toBe('http');
    await idle(app);
  });

  it('runs the handler in an http scope and its after-response work under inject()', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    let seen: unknown;
    const fastify = fastifyFor(app);
    fastify.get('/hello', async () => {
      seen = { kind: currentScope()?.kind, details: currentScope()?.details };
      app.terminating(() => ran.push('after the response'));
      return 'hi';
    });
    const response = await fastify.inject({ method: 'GET', url: '/hello?x=1' });
    expect(response.body).toBe('hi');
    await idle(app);
    expect(seen).toEqual({ kind: 'http', details: { method: 'GET', url: '/hello?x=1' } });
    expect(ran).toEqual(['after the response']);
  });

  it('enters the request scope again in preValidation when an earlier hook lost the async context', async () => {
    const { app } = recordingApp();
    // Created outside any scope: running a callback in it drops the request's context, as a
    // callback from a connection pool or an event emitter would.
    const outside = new AsyncResource('outside-any-scope');
    const fastify = fastifyFor(app);
    let inPreParsing: unknown = 'not called';
    fastify.addHook('preParsing', (_request, _reply, payload, done) => {
      outside.runInAsyncScope(() => {
        inPreParsing = currentScope();
        done(null, payload);
      });
    });
    fastify.post('/', async () => currentScope()?.kind ?? 'no scope');
    const response = await fastify.inject({ method: 'POST', url: '/', payload: { a: 1 } });
    expect(inPreParsing).toBeUndefined();
    expect(response.body).toBe('http');
    await idle(app);
  });

  it('reports errors that become a 5xx response, and not client errors', async () => {
    const { app, reports } = recordingApp();
    const fastify = fastifyFor(app);
    fastify.get('/server', async () => {
      throw new Error('server side');
    });
    fastify.get('/unavailable', async (_request, reply) => {
      reply.code(503);
      throw new Error('unavailable');
    });
    fastify.get('/client', async () => {
      throw Object.assign(new Error('bad input'), { statusCode: 422 });
    });
    expect((await fastify.inject('/server')).statusCode).toBe(500);
    expect((await fastify.inject('/unavailable')).statusCode).toBe(503);
    expect((await fastify.inject('/client')).statusCode).toBe(422);
    await idle(app);
    expect(reports.map((report) => [(report.error as Error).message, report.context])).toEqual([
      ['server side', { phase: 'request', scope: 'http', method: 'GET', url: '/server' }],
      ['unavailable', { phase: 'request', scope: 'http', method: 'GET', url: '/unavailable' }],
    ]);
  });

  it('makes fastify.close() wait for after-response work before later plugins close', async () => {
    const { app } = recordingApp();
    const events: string[] = [];
    const fastify = fastifyFor(app);
    void fastify.register(async (instance) => {
      instance.addHook('onClose', async () => {
        events.push('database closed');
      });
    });
    fastify.get('/', async () => {
      app.terminating(async () => {
        await tick(50);
        events.push('job finished');
      });
      return 'ok';
    });
    await fastify.inject('/');
    await fastify.close();
    expect(events).toEqual(['job finished', 'database closed']);
    expect(app.isShuttingDown).toBe(true);
    expect(app.activeScopes).toBe(0);
  });

  it('closes Fastify when the application shuts down', async () => {
    const { app } = recordingApp();
    const fastify = fastifyFor(app);
    let closed = false;
    fastify.addHook('onClose', async () => {
      closed = true;
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    await app.shutdown({ timeoutMs: 1_000 });
    for (let i = 0; i < 100 && !closed; i++) await tick(5);
    expect(closed).toBe(true);
    expect(fastify.server.listening).toBe(false);
  });
});
