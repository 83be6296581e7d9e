import {
  BatchCallbackNotQueueableError,
  Dispatcher,
  Job,
  MemoryBatchStore,
  ShouldQueue,
  type BatchableJob,
  type ChainCatchJob,
  type ChainFailure,
} from '@epilogue/bus';
import { Application, EpilogueError, type ErrorContext } from '@epilogue/core';
import {
  configureQueues,
  InvalidQueueConfigError,
  MemoryDriver,
  QueuedJob,
  SyncDriver,
  Worker,
  type QueueDriver,
  type QueuedJobOptions,
} from '@epilogue/queue';

const trail: string[] = [];

@ShouldQueue()
class ImportRow extends QueuedJob {
  constructor(public row: number) {
    super();
  }
  handle() {
    trail.push(`row ${this.row}`);
  }
}

@ShouldQueue()
class BrokenRow extends QueuedJob implements QueuedJobOptions {
  tries = 2;
  static broken = true;
  constructor(public row: number) {
    super();
  }
  handle() {
    trail.push(`broken ${this.row} attempt ${this.attempts()}`);
    if (BrokenRow.broken) throw new EpilogueError('E_ROW', `row ${this.row} broke`);
  }
}

@ShouldQueue()
class SkipsRow extends QueuedJob {
  handle() {
    trail.push('deleted');
    this.delete();
  }
}

@ShouldQueue()
class GrowsBatch extends QueuedJob {
  async handle() {
    trail.push('grows');
    await (await this.batch())?.add([new ImportRow(99)]);
  }
}

@ShouldQueue()
class Notify extends Job implements BatchableJob {
  batchFailure?: ChainFailure;
  constructor(public what: string) {
    super();
  }
  async handle() {
    const batch = await this.batch();
    trail.push(`${this.what}: ${batch?.processedJobs()}/${batch?.totalJobs} failed ${batch?.failedJobs}`);
    if (this.batchFailure) trail.push(`${this.what} failure: ${this.batchFailure.job} ${this.batchFailure.error.message}`);
  }
}

interface Pushed {
  queue: string;
  payload: { job: string; data: Record<string, unknown> };
}

// The real memory driver, with each push noted (payload and queue) before it goes on.
function noted(driver: MemoryDriver, pushed: Pushed[]): QueueDriver {
  const push = driver.push.bind(driver);
  driver.push = (body, options) => {
    pushed.push({ queue: options.queue, payload: JSON.parse(body) });
    return push(body, options);
  };
  return driver;
}

function setup(options: { batches?: MemoryBatchStore; signingKey?: string } = {}) {
  trail.length = 0;
  BrokenRow.broken = true;
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  const pushed: Pushed[] = [];
  const memory = noted(new MemoryDriver(), pushed);
  const manager = configureQueues(app, { default: 'memory', connections: { memory }, ...options });
  const work = () => new Worker(app, { queues: ['imports', 'default'], stopWhenEmpty: true }).run();
  return { app, reports, pushed, manager, work, bus: app.make(Dispatcher) };
}

describe('queued batches on a worker', () => {
  it('pushes every job with its batch id and resolves once they are pushed, before any ran', async () => {
    const { bus, pushed, manager } = setup();
    const batch = await bus.batch([new ImportRow(1), new ImportRow(2)]).name('rows').onQueue('imports').dispatch();
    expect(trail).toEqual([]);
    expect(batch).toMatchObject({ name: 'rows', totalJobs: 2, pendingJobs: 2, failedJobs: 0 });
    expect(batch.finished()).toBe(false);
    expect(await manager.size('imports')).toBe(2);
    expect(pushed.map((p) => [p.queue, p.payload.job, p.payload.data.batchId])).toEqual([
      ['imports', 'ImportRow', batch.id],
      ['imports', 'ImportRow', batch.id],
    ]);
  });

  it('counts each job a worker ran, then dispatches onSuccess and finally as jobs, once', async () => {
    const { bus, work, pushed } = setup();
    const batch = await bus
      .batch([new ImportRow(1), new ImportRow(2), new ImportRow(3)])
      .onSuccess(new Notify('success'))
      .finally(new Notify('finally'))
      .catch(new Notify('catch'))
      .onQueue('imports')
      .dispatch();
    await work();
    expect(trail).toEqual(['row 1', 'row 2', 'row 3', 'success: 3/3 failed 0', 'finally: 3/3 failed 0']);
    // The callback jobs went to the batch's queue, marked with the batch and the callback they are.
    expect(pushed.slice(3).map((p) => [p.queue, p.payload.data.what, p.payload.data.batchCallback])).toEqual([
      ['imports', 'success', 'onSuccess'],
      ['imports', 'finally', 'finally'],
    ]);
    const done = await bus.findBatch(batch.id);
    expect(done).toMatchObject({ totalJobs: 3, pendingJobs: 0, failedJobs: 0, failedJobIds: [] });
    expect(done?.finished()).toBe(true);
  });

  it('counts a failure once the job failed for good: cancels, dispatches catch with it, then finally', async () => {
    const { bus, work, reports, manager } = setup();
    const success = new Notify('success');
    const batch = await bus
      .batch([new ImportRow(1), new BrokenRow(2)])
      .onSuccess(success)
      .catch(new Notify('catch'))
      .finally(new Notify('finally'))
      .dispatch();
    await work();
    expect(trail).toEqual([
      'row 1',
      'broken 2 attempt 1',
      'broken 2 attempt 2',
      'catch: 1/2 failed 1',
      'catch failure: BrokenRow row 2 broke',
      'finally: 1/2 failed 1',
    ]);
    const failed = await bus.findBatch(batch.id);
    expect(failed).toMatchObject({ totalJobs: 2, pendingJobs: 1, failedJobs: 1 });
    expect(failed?.cancelled()).toBe(true);
    const [record] = await manager.failedJobs().list();
    expect(failed?.failedJobIds).toEqual([record!.id]);
    expect(reports.map((r) => r.context.phase)).toEqual(['job', 'job']);
  });

  it('counts a failed job retried from the failed store as a success, and then runs onSuccess', async () => {
    const { bus, work, manager } = setup();
    const batch = await bus
      .batch([new BrokenRow(1), new ImportRow(2)])
      .allowFailures()
      .onSuccess(new Notify('success'))
      .dispatch();
    await work();
    expect((await bus.findBatch(batch.id))?.failedJobIds).toHaveLength(1);
    BrokenRow.broken = false;
    trail.length = 0;
    await manager.failedJobs().retryAll();
    await work();
    expect(trail).toEqual(['broken 1 attempt 1', 'success: 2/2 failed 1']);
    expect(await bus.findBatch(batch.id)).toMatchObject({ pendingJobs: 0, failedJobs: 1, failedJobIds: [] });
  });

  it('counts a job that deleted itself as done', async () => {
    const { bus, work } = setup();
    const batch = await bus.batch([new SkipsRow()]).onSuccess(new Notify('success')).dispatch();
    await work();
    expect(trail).toEqual(['deleted', 'success: 1/1 failed 0']);
    expect((await bus.findBatch(batch.id))?.finished()).toBe(true);
  });

  it('runs a chain of the batch job after job, counting each one', async () => {
    const { bus, work, pushed } = setup();
    const batch = await bus
      .batch([[new ImportRow(1), new ImportRow(2)], new ImportRow(3)])
      .finally(new Notify('finally'))
      .dispatch();
    expect(batch.totalJobs).toBe(3);
    expect(pushed).toHaveLength(2);
    await work();
    expect(trail).toEqual(['row 1', 'row 3', 'row 2', 'finally: 3/3 failed 0']);
  });

  it('pushes the jobs a job of the batch adds, and the callbacks wait for them', async () => {
    const { bus, work } = setup();
    const batch = await bus.batch([new GrowsBatch()]).onSuccess(new Notify('success')).dispatch();
    await work();
    expect(trail).toEqual(['grows', 'row 99', 'success: 2/2 failed 0']);
    expect((await bus.findBatch(batch.id))?.totalJobs).toBe(2);
  });

  it('reads callback jobs back from a signed payload', async () => {
    const { bus, work } = setup({ signingKey: 'k'.repeat(32) });
    await bus.batch([new ImportRow(1)]).onSuccess(new Notify('signed')).dispatch();
    await work();
    expect(trail).toEqual(['row 1', 'signed: 1/1 failed 0']);
  });

  it('refuses a function callback at dispatch, with a typed error that says to pass a job', async () => {
    const { bus, manager } = setup();
    const dispatched = bus.batch([new ImportRow(1)]).onSuccess(() => undefined).dispatch();
    await expect(dispatched).rejects.toBeInstanceOf(BatchCallbackNotQueueableError);
    await expect(bus.batch([new ImportRow(1)]).catch(() => undefined).dispatch()).rejects.toMatchObject({
      code: 'E_BATCH_CALLBACK_NOT_QUEUEABLE',
      message: expect.stringMatching(/Pass a registered job instead/),
    });
    expect(await manager.size()).toBe(0);
    expect(await bus.batches.store.list()).toEqual([]);
  });

  it('refuses a callback job that cannot be queued at dispatch, and keeps no batch', async () => {
    const { bus } = setup();
    class NotRegistered extends Job {
      handle() {}
    }
    await expect(bus.batch([new ImportRow(1)]).finally(new NotRegistered()).dispatch()).rejects.toMatchObject({
      code: 'E_JOB_NOT_REGISTERED',
    });
    expect(await bus.batches.store.list()).toEqual([]);
  });
});

@ShouldQueue()
class ReportChain extends Job implements ChainCatchJob {
  chainFailure?: ChainFailure;
  handle() {
    trail.push(`chain caught ${this.chainFailure?.job}: ${this.chainFailure?.error.message}`);
  }
}

describe('a queued batch as a step of a chain', () => {
  it('pushes the jobs before it; a worker dispatches the batch, and the chain goes on once every job ran', async () => {
    const { bus, work, pushed } = setup();
    await bus
      .chain([new ImportRow(1), bus.batch([new ImportRow(2), new ImportRow(3)]).finally(new Notify('finally')), new ImportRow(4)])
      .onQueue('imports')
      .dispatch();
    expect(pushed.map((push) => push.payload.job)).toEqual(['ImportRow']);
    await work();
    expect(trail).toEqual(['row 1', 'row 2', 'row 3', 'finally: 2/2 failed 0', 'row 4']);
    // The batch's jobs and the rest of the chain went to the chain's queue.
    expect(new Set(pushed.map((push) => push.queue))).toEqual(new Set(['imports']));
  });

  it('stops at a batch that a failure cancelled and dispatches the chain catch once, with the failed job', async () => {
    const { bus, work } = setup();
    await bus
      .chain([bus.batch([new BrokenRow(1), new ImportRow(2)]), new ImportRow(3)])
      .catch(new ReportChain())
      .dispatch();
    await work();
    expect(trail.filter((line) => line.startsWith('chain caught'))).toEqual(['chain caught BrokenRow: row 1 broke']);
    expect(trail).not.toContain('row 3');
  });

  it('goes on after failures the batch allowed, and runs a second batch of the chain after it', async () => {
    const { bus, work } = setup();
    await bus
      .chain([bus.batch([new BrokenRow(1)]).allowFailures(), bus.batch([new ImportRow(2)]), new ImportRow(3)])
      .catch(new ReportChain())
      .dispatch();
    await work();
    expect(trail).toEqual(['broken 1 attempt 1', 'broken 1 attempt 2', 'row 2', 'row 3']);
  });

  it('runs the whole chain at dispatch on the sync connection, the batch in its place', async () => {
    trail.length = 0;
    const app = new Application({ report: () => undefined });
    configureQueues(app, { default: 'sync', connections: { sync: new SyncDriver() } });
    const bus = app.make(Dispatcher);
    await bus
      .chain([new ImportRow(1), bus.batch([new ImportRow(2), new ImportRow(3)]).onSuccess(new Notify('success')), new ImportRow(4)])
      .dispatch();
    expect(trail).toEqual(['row 1', 'row 2', 'row 3', 'success: 2/2 failed 0', 'row 4']);
  });

  it('refuses a function callback of the batch at dispatch', async () => {
    const { bus, pushed } = setup();
    const chained = bus.chain([new ImportRow(1), bus.batch([new ImportRow(2)]).finally(() => undefined)]).dispatch();
    await expect(chained).rejects.toBeInstanceOf(BatchCallbackNotQueueableError);
    expect(pushed).toEqual([]);
  });
});

describe('the batch store of configureQueues()', () => {
  it('keeps batches in the store given as batches', async () => {
    const store = new MemoryBatchStore();
    const { bus } = setup({ batches: store });
    expect(bus.batches.store).toBe(store);
    const batch = await bus.batch([new ImportRow(1)]).dispatch();
    expect((await store.find(batch.id))?.totalJobs).toBe(1);
  });

  it('uses the default connection driver store when it has one', () => {
    const app = new Application();
    const store = new MemoryBatchStore();
    const driver = Object.assign(new MemoryDriver(), { batches: store });
    configureQueues(app, { default: 'memory', connections: { memory: driver } });
    expect(app.make(Dispatcher).batches.store).toBe(store);
  });

  it('refuses something that is not a batch store', () => {
    const app = new Application();
    const configure = () =>
      configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() }, batches: {} as never });
    expect(configure).toThrow(InvalidQueueConfigError);
    expect(configure).toThrow(/batches must be a batch store/);
  });
});
