import { currentScope, defer } from '@epilogue/core';
import { handle, InvalidResponseError, type WaitUntilContext } from '@epilogue/fetch';
import { idle, recordingApp } from '@epilogue-internal/test-support/app';
import { tick } from '@epilogue-internal/test-support/waits';

function waitUntilCollector() {
  const kept: Promise<unknown>[] = [];
  const ctx: WaitUntilContext = { waitUntil: (promise) => void kept.push(promise) };
  return { kept, ctx };
}

const get = (path = '/', init?: RequestInit) => new Request(`http://localhost${path}`, init);

describe('@epilogue/fetch handle() called directly with Node Request objects', () => {
  it('runs the handler in a new http scope that names the method and URL', async () => {
    const { app } = recordingApp();
    let seen: unknown;
    const respond = handle(app, () => {
      seen = { kind: currentScope()?.kind, details: currentScope()?.details };
      return new Response(null, { status: 204 });
    });
    await respond(get('/users?page=2', { method: 'DELETE' }));
    expect(seen).toEqual({ kind: 'http', details: { method: 'DELETE', url: 'http://localhost/users?page=2' } });
    expect(currentScope()).toBeUndefined();
  });

  it('without waitUntil, waits until the body has been read to the end', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    let later!: ReadableStreamDefaultController<Uint8Array>;
    const respond = handle(app, () => {
      app.terminating(() => ran.push('terminating'));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('first '));
          later = controller;
        },
      });
      return new Response(body);
    });
    const response = await respond(get());
    await tick(10);
    expect(ran).toEqual([]);

    const reader = response.body!.getReader();
    await reader.read();
    later.enqueue(new TextEncoder().encode('last'));
    later.close();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('last');
    await tick(10);
    expect(ran).toEqual([]);

    expect((await reader.read()).done).toBe(true);
    await idle(app);
    expect(ran).toEqual(['terminating']);
  });

  it('without waitUntil, terminates when the body is cancelled (the client went away)', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const cancelled: unknown[] = [];
    const respond = handle(app, () => {
      defer(() => ran.push('deferred'));
      const body = new ReadableStream({ pull: () => tick(1000), cancel: (reason) => void cancelled.push(reason) });
      return new Response(body);
    });
    const response = await respond(get());
    await response.body!.cancel('client gone');
    await idle(app);
    expect(ran).toEqual(['deferred']);
    expect(cancelled).toEqual(['client gone']);
  });

  it.each([
    ['a null body', () => new Response(null), 'GET'],
    ['a 204', () => new Response(null, { status: 204 }), 'GET'],
    ['a HEAD request', () => new Response('ignored'), 'HEAD'],
  ])('terminates right after the response is returned for %s, with nothing to read', async (_what, build, method) => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, () => {
      defer(() => ran.push('deferred'));
      return build();
    });
    await respond(get('/', { method }));
    expect(ran).toEqual([]);
    await idle(app);
    expect(ran).toEqual(['deferred']);
  });

  it('with waitUntil, hands the terminate phase to it and starts it after the response is returned', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, () => {
      app.terminating(async () => {
        await tick(20);
        ran.push('job finished');
      });
      return new Response('streamed by the platform');
    });
    const { kept, ctx } = waitUntilCollector();
    await respond(get(), ctx);
    expect(kept).toHaveLength(1);
    expect(ran).toEqual([]);
    await kept[0];
    expect(ran).toEqual(['job finished']);
    expect(app.activeScopes).toBe(0);
  });

  it('finds waitUntil after other platform arguments and passes them all to the handler', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, (_request: Request, env: { GREETING: string }, ctx: WaitUntilContext) => {
      defer(() => ran.push(env.GREETING));
      expect(typeof ctx.waitUntil).toBe('function');
      return new Response(env.GREETING);
    });
    const { kept, ctx } = waitUntilCollector();
    const response = await respond(get(), { GREETING: 'hello' }, ctx);
    expect(await response.text()).toBe('hello');
    await Promise.all(kept);
    expect(ran).toEqual(['hello']);
  });

  it.each([
    ['throws', () => {
      throw new Error('handler failed');
    }],
    ['rejects', () => Promise.reject(new Error('handler failed'))],
  ])('answers 500 and reports when the handler %s; only always-deferred callbacks run', async (_how, fail) => {
    const { app, reports } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, () => {
      defer(() => ran.push('deferred'));
      defer(() => ran.push('always')).always(true);
      return fail();
    });
    const response = await respond(get('/boom', { method: 'POST' }));
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error');
    await idle(app);
    expect(ran).toEqual(['always']);
    expect(reports).toHaveLength(1);
    expect((reports[0].error as Error).message).toBe('handler failed');
    expect(reports[0].context).toMatchObject({ phase: 'request', scope: 'http', method: 'POST', url: 'http://localhost/boom' });
  });

  it('answers 500 and reports E_INVALID_RESPONSE when the handler returns no Response', async () => {
    const { app, reports } = recordingApp();
    const respond = handle(app, (() => undefined) as unknown as () => Response);
    const response = await respond(get());
    expect(response.status).toBe(500);
    expect(reports[0].error).toBeInstanceOf(InvalidResponseError);
    expect(reports[0].error).toMatchObject({ code: 'E_INVALID_RESPONSE' });
  });

  it('answers 500, reports and terminates when the response body was already read', async () => {
    const { app, reports } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, async () => {
      defer(() => ran.push('always'), 'audit', true);
      const response = new Response('used');
      await response.text();
      return response;
    });
    const response = await respond(get());
    expect(response.status).toBe(500);
    await response.text();
    await idle(app);
    expect(ran).toEqual(['always']);
    expect(reports.map((report) => report.context.phase)).toEqual(['request']);
  });

  it('skips deferred callbacks not marked always for a status of 400 and above', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, () => {
      defer(() => ran.push('deferred'));
      defer(() => ran.push('always'), 'audit', true);
      app.terminating(() => ran.push('terminating'));
      return new Response('no', { status: 404 });
    });
    await (await respond(get())).text();
    await idle(app);
    expect(ran).toEqual(['always', 'terminating']);
  });

  it('reports a body that fails while being read and still terminates once', async () => {
    const { app, reports } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, () => {
      app.terminating(() => ran.push('terminating'));
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('part'));
          controller.error(new Error('source broke'));
        },
      });
      return new Response(body);
    });
    const response = await respond(get());
    await expect(response.text()).rejects.toThrow('source broke');
    await idle(app);
    expect(ran).toEqual(['terminating']);
    expect(reports.map((report) => report.context.phase)).toEqual(['response-body']);
  });

  it('terminates once when the body is read to the end and then cancelled', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, () => {
      app.terminating(() => ran.push('terminating'));
      return new Response('whole');
    });
    const response = await respond(get());
    const reader = response.body!.getReader();
    while (!(await reader.read()).done);
    await reader.cancel();
    await idle(app);
    await tick(10);
    expect(ran).toEqual(['terminating']);
  });

  it('keeps the status, status text, headers and body of the response it wraps', async () => {
    const { app } = recordingApp();
    const respond = handle(app, () => {
      const headers = new Headers({ 'content-type': 'application/json', 'x-request': 'one' });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return new Response('{"ok":true}', { status: 201, statusText: 'Made', headers });
    });
    const response = await respond(get());
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request')).toBe('one');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ ok: true });
    await idle(app);
  });

  it('keeps concurrent requests apart', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const respond = handle(app, async (request) => {
      const id = new URL(request.url).searchParams.get('id')!;
      defer(() => ran.push(id), 'same name in every request');
      await tick(Number(id) % 3);
      return new Response(id);
    });
    const ids = Array.from({ length: 20 }, (_, i) => String(i));
    const bodies = await Promise.all(ids.map((id) => respond(get(`/?id=${id}`)).then((response) => response.text())));
    expect(bodies).toEqual(ids);
    await idle(app);
    expect([...ran].sort()).toEqual([...ids].sort());
  });
});
