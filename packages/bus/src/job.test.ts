import { Application, type ErrorContext } from '@epilogue/core';
import { Dispatcher, isShouldQueue, Job, PendingDispatch, ShouldQueue } from '@epilogue/bus';

const handled: string[] = [];

class Ping extends Job {
  constructor(public label: string, public times = 1) {
    super();
  }
  handle() {
    handled.push(this.label);
    return this.label.repeat(this.times);
  }
}

class Fails extends Job {
  handle(): never {
    throw new Error('job failed');
  }
}

function setup() {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  handled.length = 0;
  return { app, reports };
}

describe('Job static helpers', () => {
  it('dispatch returns a PendingDispatch that runs once on a microtask and resolves to the result', async () => {
    setup();
    const pending = Ping.dispatch('a', 2);
    expect(pending).toBeInstanceOf(PendingDispatch);
    expect(handled).toEqual([]);
    await expect(pending).resolves.toBe('aa');
    await pending;
    expect(handled).toEqual(['a']);
  });

  it('dispatches even when nobody awaits', async () => {
    setup();
    Ping.dispatch('fire and forget');
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toEqual(['fire and forget']);
  });

  it('reports a failure nobody awaits instead of leaving an unhandled rejection', async () => {
    const { reports } = setup();
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    Fails.dispatch();
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
    expect(reports).toHaveLength(1);
    expect(reports[0].context).toMatchObject({ phase: 'dispatch', job: 'Fails' });
  });

  it('rejects an awaiting caller with the failure, and does not report it', async () => {
    const { reports } = setup();
    await expect(Fails.dispatch()).rejects.toThrow('job failed');
    expect(reports).toHaveLength(0);
  });

  it('chains queue options synchronously onto the job before it is dispatched', async () => {
    const { app } = setup();
    const pushed: unknown[] = [];
    app.make(Dispatcher).setQueueResolver({
      connection: (name) => ({
        push: async (job, options) => {
          pushed.push({ name, options, job });
          return 'id-1';
        },
      }),
    });
    @ShouldQueue()
    class Encode extends Job {
      handle() {}
    }
    const id = await Encode.dispatch().onConnection('redis').onQueue('video').delay(30);
    expect(id).toBe('id-1');
    expect(pushed).toMatchObject([{ name: 'redis', options: { queue: 'video', delay: 30 } }]);
  });

  it('afterResponse() turns the dispatch into an after-response one', async () => {
    const { app } = setup();
    await app.runInScope(async () => {
      await Ping.dispatch('later').afterResponse();
      expect(handled).toEqual([]);
    });
    expect(handled).toEqual(['later']);
  });

  it('dispatchSync runs at once and resolves to the result', async () => {
    setup();
    await expect(Ping.dispatchSync('now', 3)).resolves.toBe('nownownow');
  });

  it('dispatchAfterResponse runs after the scope’s work', async () => {
    const { app } = setup();
    await app.runInScope(() => {
      Ping.dispatchAfterResponse('after');
      handled.push('response');
    });
    expect(handled).toEqual(['response', 'after']);
  });

  it('dispatchIf and dispatchUnless accept a boolean or a test of the built job', async () => {
    setup();
    expect(Ping.dispatchIf(false, 'no')).toBeUndefined();
    expect(Ping.dispatchUnless(true, 'no')).toBeUndefined();
    expect(Ping.dispatchIf((job) => job.label === 'no', 'x')).toBeUndefined();
    await Ping.dispatchIf(true, 'if');
    await Ping.dispatchUnless((job) => job.label === 'x', 'unless');
    await Ping.dispatchIf((job) => job.times === 2, 'test', 2);
    expect(handled).toEqual(['if', 'unless', 'test']);
  });

  it('uses the application of the current scope', async () => {
    const { app } = setup();
    const other = new Application();
    const ran = jest.fn();
    app.make(Dispatcher).on('processed', ran);
    await app.runInScope(() => Ping.dispatch('scoped'));
    expect(ran).toHaveBeenCalledTimes(1);
    expect(Application.getInstance()).toBe(other);
  });

  it('uses the Dispatcher the container gives, or one registered on the app instead', async () => {
    const { app } = setup();
    const own = app.container.resolve(Dispatcher);
    const seen: string[] = [];
    own.on('dispatched', ({ mode }) => seen.push(`own ${mode}`));
    await Ping.dispatchSync('one');

    const override = new Dispatcher(app);
    override.on('dispatched', ({ mode }) => seen.push(`override ${mode}`));
    app.container.registerInstance(Dispatcher, override);
    await app.runInScope(() => Ping.dispatchAfterResponse('two'));
    expect(seen).toEqual(['own sync', 'override after-response']);
    expect(handled).toEqual(['one', 'two']);
  });

  it('resolves the Dispatcher through an application built on a container of its own', async () => {
    const parent = new Application().container.createChildContainer();
    const app = new Application({ container: parent });
    const override = new Dispatcher(app);
    const modes: string[] = [];
    override.on('dispatched', ({ mode }) => modes.push(mode));
    parent.registerInstance(Dispatcher, override);
    handled.length = 0;
    await Ping.dispatchSync('via parent');
    expect(modes).toEqual(['sync']);
    expect(handled).toEqual(['via parent']);
  });
});

describe('ShouldQueue', () => {
  it('marks a class and its subclasses, and works as a plain function call', () => {
    class Plain extends Job {}
    class Queued extends Job {}
    ShouldQueue()(Queued);
    class Child extends Queued {}
    expect(isShouldQueue(new Plain())).toBe(false);
    expect(isShouldQueue(new Queued())).toBe(true);
    expect(isShouldQueue(Child)).toBe(true);
    expect(isShouldQueue(undefined)).toBe(false);
  });
});
