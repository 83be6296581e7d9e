import { serve, type HttpBindings } from '@hono/node-server';
import { currentScope, defer } from '@epilogue/core';
import { handle } from '@epilogue/fetch';
import { Hono } from 'hono';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { idle, recordingApp } from '@epilogue-internal/test-support/app';
import { gate, tick } from '@epilogue-internal/test-support/waits';

describe('@epilogue/fetch served by @hono/node-server', () => {
  const servers: Server[] = [];

  async function listen(fetchHandler: Parameters<typeof serve>[0]['fetch']): Promise<string> {
    const port = await new Promise<number>((resolve) => {
      const server = serve({ fetch: fetchHandler, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve(info.port),
      );
      servers.push(server as Server);
    });
    return `http://127.0.0.1:${port}`;
  }

  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  it('runs Hono routes in the request scope and passes the Node bindings on', async () => {
    const { app } = recordingApp();
    let seen: unknown;
    const hono = new Hono<{ Bindings: HttpBindings }>().get('/hello', (c) => {
      seen = { kind: currentScope()?.kind, method: c.env.incoming.method };
      return c.text('hi');
    });
    const url = await listen(handle(app, hono.fetch));
    expect(await fetch(`${url}/hello`).then((response) => response.text())).toBe('hi');
    expect(seen).toEqual({ kind: 'http', method: 'GET' });
    await idle(app);
  });

  it('runs after-response work only after the client has the whole response', async () => {
    const { app } = recordingApp();
    const release = gate();
    const events: string[] = [];
    const hono = new Hono().post('/users', (c) => {
      app.terminating(async () => {
        events.push('job started');
        await release.opened;
        events.push('job finished');
      });
      return c.json({ created: true }, 201);
    });
    const url = await listen(handle(app, hono.fetch));
    const response = await fetch(`${url}/users`, { method: 'POST' });
    expect(await response.json()).toEqual({ created: true });
    events.push('client has the response');
    expect(app.activeScopes).toBe(1);
    release.open();
    await idle(app);
    expect(events.indexOf('client has the response')).toBeLessThan(events.indexOf('job finished'));
  });

  it('starts after-response work once a streamed body has been sent to the end', async () => {
    const { app } = recordingApp();
    const events: string[] = [];
    const url = await listen(
      handle(app, () => {
        defer(() => events.push('terminate'));
        const encoder = new TextEncoder();
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            await tick(10);
            controller.enqueue(encoder.encode(String(sent++)));
            if (sent === 3) {
              events.push('last chunk produced');
              controller.close();
            }
          },
        });
        return new Response(body);
      }),
    );
    expect(await fetch(url).then((response) => response.text())).toBe('012');
    await idle(app);
    expect(events).toEqual(['last chunk produced', 'terminate']);
  });

  it('terminates exactly once when the client goes away in the middle of a stream', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const streaming = gate();
    const url = await listen(
      handle(app, () => {
        app.terminating(() => ran.push('terminating'));
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            controller.enqueue(new TextEncoder().encode('tick\n'));
            streaming.open();
            await tick(20);
          },
        });
        return new Response(body);
      }),
    );
    const request = httpRequest(url);
    request.on('error', () => undefined);
    request.on('response', (response) => response.resume());
    request.end();
    await streaming.opened;
    request.destroy();
    await idle(app);
    await tick(50);
    expect(ran).toEqual(['terminating']);
  });

  it('terminates a HEAD request and a 204 without waiting for a body', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const hono = new Hono()
      .get('/page', (c) => {
        defer(() => ran.push(c.req.method));
        return c.text('page');
      })
      .delete('/page', (c) => {
        defer(() => ran.push(c.req.method));
        return c.body(null, 204);
      });
    const url = await listen(handle(app, hono.fetch));
    expect((await fetch(`${url}/page`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/page`, { method: 'DELETE' })).status).toBe(204);
    await idle(app);
    expect(ran.sort()).toEqual(['DELETE', 'HEAD']);
  });

  it('answers 500 and reports when the handler throws', async () => {
    const { app, reports } = recordingApp();
    const url = await listen(
      handle(app, () => {
        throw new Error('handler failed');
      }),
    );
    const response = await fetch(`${url}/boom`);
    expect(response.status).toBe(500);
    await response.text();
    await idle(app);
    expect(reports.map((report) => report.context)).toEqual([
      expect.objectContaining({ phase: 'request', method: 'GET', url: `${url}/boom` }),
    ]);
  });

  it('keeps concurrent requests apart', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    const hono = new Hono().get('/:id', async (c) => {
      const id = c.req.param('id');
      defer(() => ran.push(id), 'same name in every request');
      await tick(Number(id) % 3);
      return c.text(id);
    });
    const url = await listen(handle(app, hono.fetch));
    const ids = Array.from({ length: 20 }, (_, i) => String(i));
    await Promise.all(ids.map((id) => fetch(`${url}/${id}`).then((response) => response.text())));
    await idle(app);
    expect([...ran].sort()).toEqual([...ids].sort());
  });
});
