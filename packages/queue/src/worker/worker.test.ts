import { Dispatcher, Job, ShouldQueue } from '@epilogue/bus';
import {
  Application,
  currentScope,
  defer,
  injectable,
  Lifecycle,
  type ErrorContext,
  type Next,
  type Scope,
} from '@epilogue/core';
import {
  configureQueues,
  InvalidQueueConfigError,
  MemoryDriver,
  SyncDriver,
  Worker,
  WorkerAlreadyStartedError,
  WorkerStopTimeoutError,
  type JobFinished,
  type WorkerOptions,
} from '@epilogue/queue';
import { tick, waitFor } from '@epilogue-internal/test-support/waits';

// Waits for `test`, named by its source in the failure.
const until = (test: () => boolean | Promise<boolean>, ms = 2000) => waitFor(String(test), test, ms);

const trail: string[] = [];
const gates = new Map<string, Promise<void>>();

@ShouldQueue()
class Record extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    trail.push(this.label);
    return this.label;
  }
}

@ShouldQueue()
class Gated extends Job {
  constructor(public label: string) {
    super();
  }
  async handle() {
    trail.push(`start ${this.label}`);
    await gates.get(this.label);
    trail.push(`end ${this.label}`);
  }
}

@ShouldQueue()
class Slow extends Job {
  static running = 0;
  static most = 0;
  async handle() {
    Slow.most = Math.max(Slow.most, ++Slow.running);
    await tick(10);
    Slow.running--;
  }
}

const scopes: Scope[] = [];

@injectable()
class PerJob {
  readonly id = Math.random();
}

@ShouldQueue()
class CaptureScope extends Job {
  handle() {
    scopes.push(currentScope()!);
    return currentScope()!.container.resolve(PerJob).id;
  }
}

@ShouldQueue()
class Defers extends Job {
  constructor(public fail: boolean) {
    super();
  }
  handle() {
    defer(() => trail.push('deferred'));
    defer(() => trail.push('deferred always')).always(true);
    app().terminating(() => trail.push('terminating'));
    trail.push('handled');
    if (this.fail) throw new Error('defers failed');
  }
}

@ShouldQueue()
class WithMiddleware extends Job {
  middleware() {
    return [
      async (job: object, next: Next<object>) => {
        trail.push('job middleware');
        return next(job);
      },
    ];
  }
  handle() {
    trail.push('handle');
  }
}

let current: Application;
const app = () => current;

function setup() {
  trail.length = 0;
  scopes.length = 0;
  gates.clear();
  const reports: { error: unknown; context: ErrorContext }[] = [];
  current = new Application({ report: (error, context) => reports.push({ error, context }) });
  current.container.register(PerJob, PerJob, { lifecycle: Lifecycle.ContainerScoped });
  const memory = new MemoryDriver();
  const manager = configureQueues(current, { default: 'memory', connections: { memory, sync: new SyncDriver() } });
  return { app: current, reports, memory, manager, bus: current.make(Dispatcher) };
}

function work(options: WorkerOptions = {}) {
  return new Worker(current, { stopWhenEmpty: true, ...options }).run();
}

function gate(label: string) {
  let open!: () => void;
  gates.set(label, new Promise<void>((resolve) => (open = resolve)));
  return open;
}

describe('Worker', () => {
  it('runs a dispatched job; dispatch resolves to the job’s id, not its result', async () => {
    const { memory } = setup();
    const id = await Record.dispatch('queued');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(trail).toEqual([]);
    expect(await memory.size('default')).toBe(1);
    await expect(work()).resolves.toEqual({ reason: 'empty', jobs: 1, stopTimedOut: false });
    expect(trail).toEqual(['queued']);
  });

  it('runs each job in a job scope of its own, with the job’s details', async () => {
    setup();
    await Promise.all([CaptureScope.dispatch(), CaptureScope.dispatch()]);
    await work({ concurrency: 2 });
    expect(scopes).toHaveLength(2);
    expect(scopes[0]).not.toBe(scopes[1]);
    expect(scopes[0].kind).toBe('job');
    const details = { job: 'CaptureScope', connection: 'memory', queue: 'default', attempt: 1 };
    expect(scopes[0].details).toMatchObject(details);
    expect(scopes[0].container.resolve(PerJob)).not.toBe(scopes[1].container.resolve(PerJob));
  });

  it('runs deferred callbacks after a job that succeeded, and only `always` ones after a failure', async () => {
    setup();
    await Defers.dispatch(false);
    await work();
    expect(trail).toEqual(['handled', 'deferred', 'deferred always', 'terminating']);
    trail.length = 0;
    await Defers.dispatch(true);
    await work();
    expect(trail).toEqual(['handled', 'deferred always', 'terminating']);
  });

  it('runs the job’s middleware and the bus pipes around its handler', async () => {
    const { bus } = setup();
    bus.pipeThrough([
      async (job: object, next: Next<object>) => {
        trail.push('bus pipe');
        return next(job);
      },
    ]);
    await WithMiddleware.dispatch();
    await work();
    expect(trail).toEqual(['job middleware', 'bus pipe', 'handle']);
  });

  it('emits the bus’s processing and processed events for each attempt, and dispatched once, when queued', async () => {
    const { bus } = setup();
    const events: string[] = [];
    bus.on('dispatched', ({ job, mode }) => events.push(`dispatched ${job.constructor.name} ${mode}`));
    bus.on('processing', ({ job }) => events.push(`processing ${job.constructor.name}`));
    bus.on('processed', ({ result }) => events.push(`processed ${String(result)}`));
    await Record.dispatch('evented');
    await work();
    expect(events).toEqual(['dispatched Record queue', 'processing Record', 'processed evented']);
  });

  it('takes jobs from its queues in the order given', async () => {
    setup();
    await Record.dispatch('low 1').onQueue('low');
    await Record.dispatch('high 1').onQueue('high');
    await Record.dispatch('elsewhere').onQueue('other');
    await Record.dispatch('high 2').onQueue('high');
    await work({ queues: ['high', 'low'] });
    expect(trail).toEqual(['high 1', 'high 2', 'low 1']);
  });

  it('runs up to `concurrency` jobs at once', async () => {
    setup();
    Slow.most = 0;
    for (let i = 0; i < 8; i++) await Slow.dispatch();
    await expect(work({ concurrency: 3 })).resolves.toEqual({ reason: 'empty', jobs: 8, stopTimedOut: false });
    expect(Slow.most).toBe(3);
  });

  it('stops after `maxJobs` jobs, leaving the rest queued', async () => {
    const { memory } = setup();
    for (let i = 0; i < 5; i++) await Record.dispatch(`job ${i}`);
    const summary = await work({ maxJobs: 2, stopWhenEmpty: false, concurrency: 2 });
    expect(summary).toEqual({ reason: 'max-jobs', jobs: 2, stopTimedOut: false });
    expect(trail).toEqual(['job 0', 'job 1']);
    expect(await memory.size('default')).toBe(3);
  });

  it('stops after `maxTime` seconds', async () => {
    setup();
    const started = Date.now();
    await expect(work({ maxTime: 0.03, stopWhenEmpty: false })).resolves.toEqual({ reason: 'max-time', jobs: 0, stopTimedOut: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('stop() takes no new jobs, lets the running one finish, then run() resolves', async () => {
    const { memory } = setup();
    const open = gate('a');
    await Gated.dispatch('a');
    await Record.dispatch('never');
    const worker = new Worker(current);
    const running = worker.run();
    await until(() => trail.includes('start a'));
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await tick(10);
    expect(stopped).toBe(false);
    expect(worker.runningJobs).toBe(1);
    open();
    await stopping;
    await expect(running).resolves.toEqual({ reason: 'stopped', jobs: 1, stopTimedOut: false });
    expect(trail).toEqual(['start a', 'end a']);
    expect(await memory.size('default')).toBe(1);
  });

  it('reports the jobs still running when a stop gives up waiting', async () => {
    const { reports } = setup();
    const open = gate('stuck');
    await Gated.dispatch('stuck');
    const worker = new Worker(current, { stopTimeoutMs: 10 });
    const running = worker.run();
    await until(() => trail.includes('start stuck'));
    await worker.stop();
    await expect(running).resolves.toMatchObject({ reason: 'stopped', stopTimedOut: true });
    expect(reports.map((r) => r.error)).toEqual([expect.any(WorkerStopTimeoutError)]);
    expect(reports[0].context).toMatchObject({ phase: 'worker-stop', connection: 'memory' });
    open();
  });

  it('reports a driver whose consumer fails to stop, and still stops', async () => {
    const { reports, memory } = setup();
    const lost = new Error('connection lost');
    const consume = memory.consume.bind(memory);
    memory.consume = (queues, handler, options) => {
      const consumer = consume(queues, handler, options);
      return { stop: () => consumer.stop().then(() => Promise.reject(lost)) };
    };
    const worker = new Worker(current);
    const running = worker.run();
    await worker.stop();
    await expect(running).resolves.toMatchObject({ reason: 'stopped', stopTimedOut: false });
    expect(reports).toEqual([{ error: lost, context: expect.objectContaining({ phase: 'worker-stop', connection: 'memory' }) }]);
  });

  it('stops with app.shutdown(), which waits for the running job', async () => {
    setup();
    const open = gate('b');
    await Gated.dispatch('b');
    const running = new Worker(current).run();
    await until(() => trail.includes('start b'));
    const shutdown = current.shutdown({ timeoutMs: 1000 });
    await tick(5);
    open();
    await shutdown;
    expect(trail).toEqual(['start b', 'end b']);
    await expect(running).resolves.toEqual({ reason: 'shutdown', jobs: 1, stopTimedOut: false });
  });

  it('emits processing and processed with the job’s name, status and duration', async () => {
    setup();
    await Record.dispatch('x');
    const worker = new Worker(current, { stopWhenEmpty: true });
    const started: string[] = [];
    const finished: JobFinished[] = [];
    worker.on('processing', (job) => started.push(job.id));
    const off = worker.on('processed', (job) => finished.push(job));
    await worker.run();
    off();
    expect(finished).toEqual([
      {
        id: started[0],
        queue: 'default',
        attempts: 1,
        name: 'Record',
        status: 'completed',
        durationMs: expect.any(Number),
        error: undefined,
      },
    ]);
  });

  it('reports a throwing event listener and goes on', async () => {
    const { reports } = setup();
    await Record.dispatch('y');
    const worker = new Worker(current, { stopWhenEmpty: true });
    worker.on('processing', () => {
      throw new Error('listener');
    });
    await worker.run();
    expect(trail).toEqual(['y']);
    expect(reports[0].context).toMatchObject({ phase: 'worker-event' });
  });

  it('cannot run twice, and refuses unusable options and the sync connection', async () => {
    setup();
    const worker = new Worker(current, { stopWhenEmpty: true });
    await worker.run();
    await expect(worker.run()).rejects.toBeInstanceOf(WorkerAlreadyStartedError);
    expect(() => new Worker(current, { connection: 'sync' })).toThrow(InvalidQueueConfigError);
    expect(() => new Worker(current, { concurrency: 0 })).toThrow(InvalidQueueConfigError);
    expect(() => new Worker(current, { queues: [] })).toThrow(InvalidQueueConfigError);
    expect(() => new Worker(current, { maxJobs: 1.5 })).toThrow(/maxJobs/);
    expect(() => new Worker(current, { maxTime: -1 })).toThrow(/maxTime/);
  });
});
