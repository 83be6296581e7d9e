import { Application, defer, HttpKernel, type Scope, type TerminableMiddleware } from '@epilogue/core';

describe('HttpKernel.terminate', () => {
  it('runs terminable middleware in order, deferred callbacks first, then terminating callbacks', async () => {
    const app = new Application();
    const ran: string[] = [];
    class Audit implements TerminableMiddleware {
      terminate(_request: unknown, response: { statusCode: number }) {
        ran.push(`audit ${response.statusCode}`);
      }
    }
    const kernel = app.make(HttpKernel).pushTerminable(Audit);
    const scope = app.createScope('http');
    scope.run(() => {
      defer(() => ran.push('deferred'));
      app.terminating(() => ran.push('terminating'));
    });
    await kernel.terminate(scope, {}, { statusCode: 200 });
    expect(ran).toEqual(['deferred', 'audit 200', 'terminating']);
  });

  it('skips deferred callbacks for a status of 400 or more unless always, and still runs terminating ones', async () => {
    const app = new Application();
    const ran: string[] = [];
    const scope = app.createScope('http');
    scope.run(() => {
      defer(() => ran.push('skipped'));
      defer(() => ran.push('always'), 'audit', true);
      app.terminating(() => ran.push('terminating'));
    });
    await app.make(HttpKernel).terminate(scope, {}, { status: 503 });
    expect(ran).toEqual(['always', 'terminating']);
  });

  it('terminates a scope exactly once however often it is asked', async () => {
    const app = new Application();
    const job = jest.fn();
    const scope: Scope = app.createScope('http');
    scope.terminating(job);
    const kernel = app.make(HttpKernel);
    await Promise.all([kernel.terminate(scope, {}, { statusCode: 200 }), kernel.terminate(scope, {}, { statusCode: 200 })]);
    await kernel.terminate(scope, {}, { statusCode: 200 });
    expect(job).toHaveBeenCalledTimes(1);
    expect(app.activeScopes).toBe(0);
  });

  it('reports a failing terminable middleware and goes on', async () => {
    const reports: unknown[] = [];
    const app = new Application({ report: (_error, context) => reports.push(context) });
    const ran: string[] = [];
    app.make(HttpKernel).pushTerminable({
      terminate() {
        throw new Error('middleware failed');
      },
    });
    const scope = app.createScope('http', { method: 'GET', url: '/x' });
    scope.terminating(() => ran.push('terminating'));
    await app.make(HttpKernel).terminate(scope, {}, { statusCode: 200 });
    expect(ran).toEqual(['terminating']);
    expect(reports[0]).toMatchObject({ phase: 'terminable-middleware', method: 'GET', url: '/x' });
  });
});
