import { Application, defer, type ErrorContext } from '@epilogue/core';
import { createRequestListener } from '@epilogue/node-http';
import { request, restoreFakes, withDefer, withoutDefer } from '@epilogue/testing';

// withoutDefer(): deferred callbacks run during the defer() call that registers them, through a
// real HTTP request and a real adapter, instead of after the response.

const order: string[] = [];

function setup() {
  order.length = 0;
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  const listener = createRequestListener(app, (_request, response) => {
    order.push('handler starts');
    defer(() => order.push('deferred'));
    order.push('handler ends');
    response.end('ok');
  });
  return { app, reports, client: request(app, listener) };
}

afterEach(restoreFakes);

describe('withoutDefer()', () => {
  it('runs deferred callbacks at once, inside the handler, instead of after the response', async () => {
    const { app, client } = setup();
    await client.get('/');
    expect(order).toEqual(['handler starts', 'handler ends', 'deferred']);
    withoutDefer(app);
    order.length = 0;
    await client.get('/');
    expect(order).toEqual(['handler starts', 'deferred', 'handler ends']);
  });

  it('is undone by withDefer(), and by restoreFakes() after each test', async () => {
    const { app, client } = setup();
    withoutDefer(app);
    expect(withoutDefer(app)).toBe(withoutDefer(app));
    withDefer(app);
    await client.get('/');
    expect(order).toEqual(['handler starts', 'handler ends', 'deferred']);
    withoutDefer(app);
    restoreFakes();
    order.length = 0;
    await client.get('/');
    expect(order).toEqual(['handler starts', 'handler ends', 'deferred']);
  });

  it('applies to the application it was given only, in and outside scopes', async () => {
    const { app } = setup();
    const other = new Application();
    withoutDefer(app);
    await other.runInScope(() => {
      defer(() => order.push('other app, later'));
      order.push('other app, body');
    });
    await app.runInScope(() => {
      defer(() => order.push('this app, at once'));
      order.push('this app, body');
    });
    expect(order).toEqual(['other app, body', 'other app, later', 'this app, at once', 'this app, body']);
  });

  it('throws what a callback throws from defer(), and reports an async callback’s rejection', async () => {
    const { app, reports } = setup();
    withoutDefer(app);
    await app.runInScope(async () => {
      expect(() => defer(() => {
        throw new Error('sync failure');
      })).toThrow('sync failure');
      defer(async () => {
        throw new Error('async failure');
      }, 'audit');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(reports.map((report) => [(report.error as Error).message, report.context.phase, report.context.callback])).toEqual([
      ['async failure', 'deferred', 'audit'],
    ]);
  });
});
