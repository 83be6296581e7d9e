import {
  Application,
  CloseTimeoutError,
  currentScope,
  defer,
  EpilogueError,
  HttpKernel,
  injectable,
  Lifecycle,
  NoApplicationError,
  ShutdownTimeoutError,
  type ErrorContext,
} from '@epilogue/core';
import { tick } from '@epilogue-internal/test-support/waits';

function recordingApp() {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  return { app, reports };
}

describe('Application', () => {
  it('is what getInstance() returns, outside scopes the last one created, inside a scope its own', async () => {
    const first = new Application();
    const second = new Application();
    expect(Application.getInstance()).toBe(second);
    await first.runInScope(() => expect(Application.getInstance()).toBe(first));
  });

  it('throws E_NO_APPLICATION from getInstance() when none exists', () => {
    const previous = Application.getInstance();
    Application.setInstance(undefined);
    try {
      expect(() => Application.getInstance()).toThrow(NoApplicationError);
    } finally {
      Application.setInstance(previous);
    }
  });

  it('gives each scope its own container-scoped instances and make() resolves in the current scope', async () => {
    @injectable()
    class RequestState {
      id = 0;
    }
    const { app } = recordingApp();
    app.container.register(RequestState, RequestState, { lifecycle: Lifecycle.ContainerScoped });
    const seen: number[] = [];
    await Promise.all(
      [1, 2, 3].map((id) =>
        app.runInScope(async () => {
          app.make(RequestState).id = id;
          await tick(5 * (4 - id));
          seen.push(app.make(RequestState).id);
        }),
      ),
    );
    expect(seen.sort()).toEqual([1, 2, 3]);
  });

  it('keeps the terminating callbacks of concurrent scopes apart', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    await Promise.all(
      ['a', 'b'].map((name) =>
        app.runInScope(async () => {
          app.terminating(() => ran.push(`${name}:${currentScope()?.kind}`));
          await tick(1);
        }),
      ),
    );
    expect(ran.sort()).toEqual(['a:job', 'b:job']);
  });

  it('runs terminating callbacks added while draining, in order, and isolates failures', async () => {
    const { app, reports } = recordingApp();
    const ran: string[] = [];
    await app.runInScope(() => {
      app.terminating(() => {
        ran.push('first');
        app.terminating(() => ran.push('added while draining'));
      });
      app.terminating(() => {
        throw new Error('boom');
      }, 'exploding');
      app.terminating(() => ran.push('third'));
    });
    expect(ran).toEqual(['first', 'third', 'added while draining']);
    expect(reports).toHaveLength(1);
    expect(reports[0].context).toMatchObject({ phase: 'terminating', scope: 'job', callback: 'exploding' });
  });

  it('runs deferred callbacks before terminating ones, and skips them when the scope failed unless always', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    await app.runInScope(() => {
      app.terminating(() => ran.push('terminating'));
      defer(() => ran.push('deferred'));
    });
    await expect(
      app.runInScope(() => {
        defer(() => ran.push('skipped'));
        defer(() => ran.push('always')).always(true);
        app.terminating(() => ran.push('terminating after failure'));
        throw new Error('failed');
      }),
    ).rejects.toThrow('failed');
    expect(ran).toEqual(['deferred', 'terminating', 'always', 'terminating after failure']);
  });

  it('runs work registered outside any scope at app.terminate()', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    app.terminating(() => ran.push('terminating'));
    defer(() => ran.push('deferred'));
    expect(ran).toEqual([]);
    await app.terminate();
    expect(ran).toEqual(['deferred', 'terminating']);
    await app.terminate();
    expect(ran).toHaveLength(2);
  });

  it('runs work registered on a scope that already ended at once instead of losing it', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    let later: (() => void) | undefined;
    await app.runInScope((scope) => {
      later = () => scope.terminating(() => ran.push('late'));
    });
    later?.();
    await tick();
    expect(ran).toEqual(['late']);
  });

  it('runs deferred callbacks registered by terminating callbacks before the scope ends', async () => {
    const { app } = recordingApp();
    const ran: string[] = [];
    await app.runInScope(() => {
      app.terminating(() => {
        ran.push('terminating');
        defer(() => ran.push('deferred by terminating'));
      });
    });
    expect(ran).toEqual(['terminating', 'deferred by terminating']);
    expect(app.activeScopes).toBe(0);
  });

  it('registers one HttpKernel per application', () => {
    const { app } = recordingApp();
    expect(app.make(HttpKernel)).toBe(app.make(HttpKernel));
    expect(new Application().make(HttpKernel)).not.toBe(app.make(HttpKernel));
  });

  it('keeps serving when the reporter itself throws', async () => {
    const app = new Application({
      report: () => {
        throw new Error('reporter down');
      },
    });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const ran: string[] = [];
    await app.runInScope(() => {
      app.terminating(() => {
        throw new Error('job failed');
      });
      app.terminating(() => ran.push('next'));
    });
    expect(ran).toEqual(['next']);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });
});

describe('Application.shutdown', () => {
  it('calls shutdown hooks, waits for in-flight scopes and their after-response work, then resolves', async () => {
    const { app } = recordingApp();
    const trail: string[] = [];
    app.onShutdownStart(() => trail.push('hook'));
    const scope = app.createScope('http');
    scope.terminating(async () => {
      await tick(30);
      trail.push('after-response work');
    });
    const done = app.shutdown({ timeoutMs: 1000 }).then(() => trail.push('shut down'));
    await tick(5);
    expect(trail).toEqual(['hook']);
    void scope.finish(true);
    await done;
    expect(trail).toEqual(['hook', 'after-response work', 'shut down']);
    expect(app.isShuttingDown).toBe(true);
  });

  it('reports E_SHUTDOWN_TIMEOUT naming the unfinished work when the timeout runs out', async () => {
    const { app, reports } = recordingApp();
    const scope = app.createScope('http');
    scope.terminating(() => new Promise(() => undefined), 'NeverEnds');
    scope.terminating(() => undefined, 'NotStarted');
    void scope.finish(true);
    await app.shutdown({ timeoutMs: 20 });
    const report = reports.find(({ error }) => error instanceof ShutdownTimeoutError);
    expect(report).toBeDefined();
    expect((report?.error as EpilogueError).code).toBe('E_SHUTDOWN_TIMEOUT');
    expect((report?.error as Error).message).toContain('NeverEnds, NotStarted');
  });

  it('waits for work registered on a scope after it ended', async () => {
    const { app } = recordingApp();
    const trail: string[] = [];
    const scope = app.createScope('http');
    await scope.finish(true);
    scope.terminating(async () => {
      await tick(30);
      trail.push('late work');
    });
    await app.shutdown({ timeoutMs: 1000 });
    expect(trail).toEqual(['late work']);
    expect(app.activeScopes).toBe(0);
  });

  it('returns the same promise when called twice', () => {
    const { app } = recordingApp();
    expect(app.shutdown()).toBe(app.shutdown());
  });
});

// Shuts `app` down with a stop hook, a request's after-response work and root work, each
// recorded in `trail` as it runs.
async function shutDownWithWork(app: Application, trail: string[]): Promise<void> {
  app.onShutdownStart(() => trail.push('stop accepting'));
  const scope = app.createScope('http');
  scope.terminating(async () => {
    await tick(10);
    trail.push('after-response work');
  });
  app.rootScope.terminating(() => trail.push('root work'));
  void scope.finish(true);
  await app.shutdown({ timeoutMs: 1000 });
}

describe('app.onShutdown', () => {
  it('runs the hooks once the work has ended and the resources have closed, last registered first', async () => {
    const { app, reports } = recordingApp();
    const trail: string[] = [];
    app.onShutdown(async () => {
      await tick(5);
      trail.push('end the pool');
    });
    app.onShutdown(() => trail.push('flush the cache'));
    app.closeOnShutdown({ close: () => trail.push('close driver') }, 'driver');
    await shutDownWithWork(app, trail);
    trail.push('shut down');
    expect(trail).toEqual([
      'stop accepting',
      'after-response work',
      'root work',
      'close driver',
      'flush the cache',
      'end the pool',
      'shut down',
    ]);
    expect(reports).toEqual([]);
  });

  it('runs the hooks after work that outlived the timeout was spilled and reported', async () => {
    const { app, reports } = recordingApp();
    const trail: string[] = [];
    app.onShutdown(() => trail.push(`hook, after ${reports.length} report(s)`));
    const scope = app.createScope('http');
    scope.terminating(() => new Promise(() => undefined), 'NeverEnds');
    void scope.finish(true);
    await app.shutdown({ timeoutMs: 20 });
    expect(reports.map(({ error }) => (error as EpilogueError).code)).toEqual(['E_SHUTDOWN_TIMEOUT']);
    expect(trail).toEqual(['hook, after 1 report(s)']);
  });

  it('reports a hook that throws or rejects, with its label, and still runs the others', async () => {
    const { app, reports } = recordingApp();
    const ran: string[] = [];
    app.onShutdown(() => ran.push('first registered'));
    app.onShutdown(() => Promise.reject(new Error('pool gone')), 'close the pool');
    app.onShutdown(function flushCache() {
      throw new Error('cache gone');
    });
    await app.shutdown();
    expect(ran).toEqual(['first registered']);
    expect(reports).toEqual([
      { error: new Error('cache gone'), context: { phase: 'shutdown', scope: 'root', hook: 'flushCache' } },
      { error: new Error('pool gone'), context: { phase: 'shutdown', scope: 'root', hook: 'close the pool' } },
    ]);
  });

  it('reports E_CLOSE_TIMEOUT for a hook still running at the timeout, runs the next, and resolves', async () => {
    const { app, reports } = recordingApp();
    const ran: string[] = [];
    app.onShutdown(() => ran.push('next'));
    app.onShutdown(() => new Promise(() => undefined), 'the stuck hook');
    await app.shutdown({ timeoutMs: 20 });
    expect(ran).toEqual(['next']);
    expect(reports).toHaveLength(1);
    expect(reports[0].error).toBeInstanceOf(CloseTimeoutError);
    expect(reports[0].context).toEqual({ phase: 'shutdown', scope: 'root', hook: 'the stuck hook' });
    expect((reports[0].error as Error).message).toContain('The onShutdown hook "the stuck hook" did not settle within the shutdown timeout');
  });

  it('leaves out a removed hook, and runs at once one registered after the shutdown', async () => {
    const { app } = recordingApp();
    const removed = jest.fn();
    app.onShutdown(removed)();
    await app.shutdown();
    expect(removed).not.toHaveBeenCalled();
    const late = jest.fn();
    app.onShutdown(late);
    await tick();
    expect(late).toHaveBeenCalledTimes(1);
  });
});

describe('app.onShutdownStart', () => {
  it('calls the hooks when shutdown begins, without waiting for them, and reports a rejection', async () => {
    const { app, reports } = recordingApp();
    const stopped = jest.fn();
    app.onShutdownStart(stopped);
    app.onShutdownStart(() => new Promise(() => undefined));
    app.onShutdownStart(() => Promise.reject(new Error('server gone')));
    app.onShutdownStart(() => undefined)();
    const done = app.shutdown({ timeoutMs: 1000 });
    expect(stopped).toHaveBeenCalledTimes(1);
    await done;
    expect(reports).toEqual([{ error: new Error('server gone'), context: { phase: 'shutdown', scope: 'root' } }]);
  });
});

describe('app.closeOnShutdown', () => {
  it('closes the resources after the work has drained, last registered first', async () => {
    const { app } = recordingApp();
    const trail: string[] = [];
    app.closeOnShutdown({ close: () => trail.push('close driver') }, 'driver');
    app.closeOnShutdown({ close: async () => trail.push('close pool') }, 'pool');
    await shutDownWithWork(app, trail);
    expect(trail).toEqual(['stop accepting', 'after-response work', 'root work', 'close pool', 'close driver']);
  });

  it('closes each resource once when shutdown is called twice', async () => {
    const { app } = recordingApp();
    const close = jest.fn();
    app.closeOnShutdown({ close });
    await Promise.all([app.shutdown(), app.shutdown()]);
    await app.shutdown();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('reports a resource that fails to close and still closes the others', async () => {
    const { app, reports } = recordingApp();
    const close = jest.fn();
    app.closeOnShutdown({ close });
    app.closeOnShutdown(
      {
        close: () => {
          throw new Error('socket gone');
        },
      },
      'the broken client',
    );
    await app.shutdown();
    expect(close).toHaveBeenCalledTimes(1);
    expect(reports).toEqual([
      { error: new Error('socket gone'), context: { phase: 'shutdown', scope: 'root', resource: 'the broken client' } },
    ]);
  });

  it('reports E_CLOSE_TIMEOUT for a resource still closing after timeoutMs, and resolves', async () => {
    const { app, reports } = recordingApp();
    app.closeOnShutdown({ close: () => new Promise(() => undefined) }, 'the stuck connection');
    await app.shutdown({ timeoutMs: 20 });
    expect(reports).toHaveLength(1);
    expect(reports[0].error).toBeInstanceOf(CloseTimeoutError);
    expect((reports[0].error as CloseTimeoutError).code).toBe('E_CLOSE_TIMEOUT');
    expect((reports[0].error as Error).message).toContain('Closing the stuck connection did not finish within the shutdown timeout');
  });

  it('leaves out a resource whose registration was removed', async () => {
    const { app } = recordingApp();
    const close = jest.fn();
    const remove = app.closeOnShutdown({ close });
    remove();
    await app.shutdown();
    expect(close).not.toHaveBeenCalled();
  });

  it('closes at once a resource registered after the shutdown', async () => {
    const { app } = recordingApp();
    await app.shutdown();
    const close = jest.fn();
    app.closeOnShutdown({ close });
    await tick();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
