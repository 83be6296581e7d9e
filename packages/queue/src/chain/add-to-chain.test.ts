import { Dispatcher, Job, NotInChainError, ShouldQueue, type ChainCatchJob, type ChainFailure } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryDriver, queueContext, QueuedJob, SyncDriver, Worker } from '@epilogue/queue';

// Jobs that add to their chain as they run, from a queue: the added jobs travel in the payload.

const trail: string[] = [];

@ShouldQueue()
class Step extends QueuedJob {
  constructor(public label: string, public breaks = false) {
    super();
  }
  handle() {
    trail.push(`${this.label} on ${queueContext(this)?.queue}`);
    if (this.breaks) throw new Error(`${this.label} broke`);
  }
}

class NotRegistered extends Job {
  handle() {}
}

@ShouldQueue()
class Grows extends QueuedJob {
  tries = 2;
  constructor(
    public label: string,
    public prepend: string[] = [],
    public append: string[] = [],
    public options: { throwsFirst?: boolean; breaks?: string; unregistered?: boolean } = {},
  ) {
    super();
  }
  handle() {
    trail.push(`${this.label} attempt ${this.attempts()}`);
    for (const label of this.prepend) this.prependToChain(new Step(label));
    for (const label of this.append) this.appendToChain(new Step(label, label === this.options.breaks));
    if (this.options.unregistered) this.appendToChain(new NotRegistered());
    if (this.options.throwsFirst && this.attempts() === 1) throw new Error(`${this.label} flaked`);
  }
}

@ShouldQueue()
class Notify extends Job implements ChainCatchJob {
  chainFailure?: ChainFailure;
  handle() {
    trail.push(`caught ${this.chainFailure?.error.message}`);
  }
}

function setup() {
  trail.length = 0;
  const reports: unknown[] = [];
  const app = new Application({ report: (error) => reports.push(error) });
  const memory = new MemoryDriver();
  const sync = new SyncDriver();
  configureQueues(app, { default: 'memory', connections: { memory, sync } });
  const work = (queues: string[] = ['default']) => new Worker(app, { stopWhenEmpty: true, queues }).run();
  return { app, memory, sync, reports, work, bus: app.make(Dispatcher) };
}

const labels = () => trail.map((line) => line.replace(/ on .*| attempt .*/, ''));

describe('prependToChain() and appendToChain() from a queued job', () => {
  it('pushes prepended jobs next (the last one prepended first) and appended ones at the end of the chain', async () => {
    const { bus, work } = setup();
    await bus.chain([new Grows('a', ['p1', 'p2'], ['z']), new Step('b'), new Grows('c', [], ['y'])]).dispatch();
    await work();
    expect(labels()).toEqual(['a', 'p2', 'p1', 'b', 'c', 'z', 'y']);
  });

  it('starts a chain from a queued job that was in none, as Laravel does', async () => {
    const { bus, memory, work } = setup();
    await bus.dispatch(new Grows('solo', ['first'], ['second']));
    expect(await memory.size('default')).toBe(1);
    await work();
    expect(labels()).toEqual(['solo', 'first', 'second']);
  });

  it('forgets what an attempt added when it did not complete: a retry adds it again, once', async () => {
    const { bus, work, reports } = setup();
    await bus.dispatch(new Grows('flaky', [], ['after'], { throwsFirst: true }));
    await work();
    expect(trail).toEqual(['flaky attempt 1', 'flaky attempt 2', 'after on default']);
    expect(reports).toHaveLength(1);
  });

  it('sends an added job to the queue its job was delivered from, and the chain’s catch covers it', async () => {
    const { bus, memory, work } = setup();
    await bus.chain([new Grows('a', [], ['added'], { breaks: 'added' })]).onQueue('imports').catch(new Notify()).dispatch();
    await work(['imports']);
    expect(trail).toEqual(['a attempt 1', 'added on imports', 'caught added broke']);
    expect((await memory.failedJobs.list()).map((record) => record.queue)).toEqual(['imports']);
  });

  it('runs added jobs during the dispatch on the sync connection', async () => {
    const { bus } = setup();
    await bus.dispatch(Object.assign(new Grows('inline', ['next']), { connection: 'sync' }));
    expect(labels()).toEqual(['inline', 'next']);
  });

  it('fails the attempt when an added job cannot be queued, naming it', async () => {
    const { bus, memory, work } = setup();
    await bus.dispatch(Object.assign(new Grows('bad', [], [], { unregistered: true }), { tries: 1 }));
    await work();
    const [record] = await memory.failedJobs.list();
    expect(record.exception).toMatch(/E_JOB_NOT_REGISTERED.*NotRegistered/s);
  });

  it('throws NotInChainError when the job runs with dispatchSync, outside any chain', async () => {
    const { app } = setup();
    await expect(app.make(Dispatcher).dispatchSync(new Grows('sync', ['lost']))).rejects.toBeInstanceOf(NotInChainError);
  });
});
