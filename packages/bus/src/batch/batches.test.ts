import {
  Batch,
  BatchCallbackNotQueueableError,
  BatchNotFoundError,
  ChainedBatchCancelledError,
  Dispatcher,
  InvalidBatchError,
  Job,
  MemoryBatchStore,
  PendingBatch,
  ShouldQueue,
  SkipIfBatchCancelled,
  type BatchableJob,
  type ChainFailure,
  type QueueConnection,
} from '@epilogue/bus';
import { Application, EpilogueError, type ErrorContext } from '@epilogue/core';

const trail: string[] = [];

class Row extends Job {
  constructor(public row: number) {
    super();
  }
  handle() {
    trail.push(`row ${this.row}`);
  }
}

class Broken extends Job {
  constructor(public row: number) {
    super();
  }
  handle(): never {
    trail.push(`broken ${this.row}`);
    throw new EpilogueError('E_ROW', `row ${this.row} broke`);
  }
}

class Careful extends Job {
  constructor(public row: number) {
    super();
  }
  async handle() {
    if ((await this.batch())?.cancelled()) {
      trail.push(`careful ${this.row} skipped`);
      return;
    }
    trail.push(`careful ${this.row}`);
  }
}

class Skippable extends Row {
  middleware() {
    return [new SkipIfBatchCancelled()];
  }
}

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

class Grows extends Job {
  async handle() {
    trail.push('grows');
    await (await this.batch())?.add([new Row(99)]);
  }
}

@ShouldQueue()
class QueuedRow extends Row {}

function setup() {
  trail.length = 0;
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  return { app, reports, bus: app.make(Dispatcher) };
}

describe('findBatch() with the default memory store', () => {
  it('finds a dispatched batch without any queue configured, and undefined for an unknown id', async () => {
    const { bus } = setup();
    const batch = await bus.batch([new Row(1)]).name('one').dispatch();
    const found = await bus.findBatch(batch.id);
    expect(found).toBeInstanceOf(Batch);
    expect(found).toMatchObject({ id: batch.id, name: 'one', totalJobs: 1, pendingJobs: 0, failedJobs: 0 });
    expect(await bus.findBatch('no-such-batch')).toBeUndefined();
    expect(bus.batches.store).toBeInstanceOf(MemoryBatchStore);
  });

  it('refuses an id that is not a string', async () => {
    const { bus } = setup();
    await expect(bus.findBatch(42 as never)).rejects.toBeInstanceOf(InvalidBatchError);
  });
});

describe('batches that run in this process', () => {
  it('runs every job, then onSuccess and finally, and resolves to the finished batch', async () => {
    const { bus } = setup();
    const seen: string[] = [];
    const pending = bus
      .batch([new Row(1), null, new Row(2), false, undefined])
      .onSuccess((batch) => seen.push(`success ${batch.processedJobs()}`))
      .finally((batch) => seen.push(`finally ${batch.finished()}`))
      .onSuccess(new Notify('done'));
    expect(pending).toBeInstanceOf(PendingBatch);
    const batch = await pending.dispatch();
    expect(trail).toEqual(['row 1', 'row 2', 'done: 2/2 failed 0']);
    expect(seen).toEqual(['success 2', 'finally true']);
    expect(batch).toMatchObject({ totalJobs: 2, pendingJobs: 0, failedJobs: 0 });
    expect(batch.processedJobs()).toBe(2);
    expect(batch.progress()).toBe(100);
    expect(batch.finished()).toBe(true);
    expect(batch.cancelled()).toBe(false);
  });

  it('has no then() method on the pending batch nor on the batch, so neither is taken for a promise', async () => {
    const { bus } = setup();
    const pending = bus.batch([new Row(1)]);
    expect('then' in pending).toBe(false);
    const returned = await (async () => pending)();
    expect(returned).toBe(pending);
    const batch = await pending.dispatch();
    expect('then' in batch).toBe(false);
  });

  it('cancels the batch at the first failure, runs catch once with the error, and finally once every job ran', async () => {
    const { bus, reports } = setup();
    const caught: unknown[] = [];
    const success = jest.fn();
    const batch = await bus
      .batch([new Row(1), new Broken(2), new Broken(3), new Careful(4)])
      .catch((b, error) => caught.push(b.cancelled(), (error as Error).message))
      .catch(new Notify('catch'))
      .onSuccess(success)
      .finally(new Notify('finally'))
      .dispatch();
    expect(trail).toEqual([
      'row 1',
      'broken 2',
      'catch: 1/4 failed 1',
      'catch failure: Broken row 2 broke',
      'broken 3',
      'careful 4 skipped',
      'finally: 2/4 failed 2',
    ]);
    expect(caught).toEqual([true, 'row 2 broke']);
    expect(success).not.toHaveBeenCalled();
    // As in Laravel: failed jobs stay pending; a cancelled batch reports finished.
    expect(batch).toMatchObject({ totalJobs: 4, pendingJobs: 2, failedJobs: 2 });
    expect(batch.failedJobIds).toHaveLength(2);
    expect(batch.processedJobs()).toBe(2);
    expect(batch.progress()).toBe(50);
    expect(batch.cancelled()).toBe(true);
    expect(batch.finished()).toBe(true);
    expect(reports.map((r) => [r.context.phase, r.context.job])).toEqual([
      ['batch-job', 'Broken'],
      ['batch-job', 'Broken'],
    ]);
  });

  it('with allowFailures() goes on after a failure, runs finally, and never reports finished', async () => {
    const { bus } = setup();
    const calls: string[] = [];
    const batch = await bus
      .batch([new Broken(1), new Careful(2)])
      .allowFailures()
      .catch(() => calls.push('catch'))
      .onSuccess(() => calls.push('success'))
      .finally(() => calls.push('finally'))
      .dispatch();
    expect(trail).toEqual(['broken 1', 'careful 2']);
    expect(calls).toEqual(['catch', 'finally']);
    expect(batch.cancelled()).toBe(false);
    expect(batch.finished()).toBe(false);
    expect(batch.hasFailures()).toBe(true);
  });

  it('allowFailures(false) undoes allowFailures()', async () => {
    const { bus } = setup();
    const batch = await bus.batch([new Broken(1)]).allowFailures().allowFailures(false).dispatch();
    expect(batch.cancelled()).toBe(true);
  });

  it('skips the jobs of a cancelled batch with SkipIfBatchCancelled, counting them as processed', async () => {
    const { bus } = setup();
    const batch = await bus.batch([new Broken(1), new Skippable(2), new Skippable(3)]).dispatch();
    expect(trail).toEqual(['broken 1']);
    expect(batch).toMatchObject({ totalJobs: 3, pendingJobs: 1, failedJobs: 1 });
    expect(batch.processedJobs()).toBe(2);
  });

  it('runs SkipIfBatchCancelled jobs of a batch that goes on, and jobs of no batch', async () => {
    const { bus } = setup();
    await bus.batch([new Skippable(1)]).dispatch();
    await bus.dispatchSync(new Skippable(2));
    expect(trail).toEqual(['row 1', 'row 2']);
  });

  it('runs a nested list as a chain, counting each of its jobs; a failure stops the chain', async () => {
    const { bus } = setup();
    const finallyRan = jest.fn();
    const batch = await bus
      .batch([[new Row(1), new Row(2)], new Row(3), [new Broken(4), new Row(5)], [null, new Row(6)], []])
      .allowFailures()
      .finally(finallyRan)
      .dispatch();
    expect(trail).toEqual(['row 1', 'row 2', 'row 3', 'broken 4', 'row 6']);
    // Laravel's counting: row 5 never ran, so it stays pending and finally does not run.
    expect(batch).toMatchObject({ totalJobs: 6, pendingJobs: 2, failedJobs: 1 });
    expect(finallyRan).not.toHaveBeenCalled();
  });

  it('adds jobs to a running batch from inside one of its jobs; callbacks wait for them', async () => {
    const { bus } = setup();
    const batch = await bus.batch([new Grows(), new Row(1)]).onSuccess(new Notify('done')).dispatch();
    expect(trail).toEqual(['grows', 'row 99', 'row 1', 'done: 3/3 failed 0']);
    expect(batch.totalJobs).toBe(3);
  });

  it('adds jobs to a batch found again, and resolves to the fresh batch', async () => {
    const { bus } = setup();
    const first = await bus.batch([new Row(1)]).dispatch();
    const fresh = await (await bus.findBatch(first.id))?.add([new Row(2), [new Row(3), new Row(4)]]);
    expect(fresh).toMatchObject({ id: first.id, totalJobs: 4, pendingJobs: 0 });
    expect(trail).toEqual(['row 1', 'row 2', 'row 3', 'row 4']);
    await fresh!.delete();
    await expect(first.add([new Row(5)])).rejects.toBeInstanceOf(BatchNotFoundError);
  });

  it('cancels a batch with cancel(), and sees it in a fresh copy only', async () => {
    const { bus } = setup();
    const batch = await bus.batch([]).dispatch();
    await batch.cancel();
    expect(batch.cancelled()).toBe(false);
    expect((await batch.fresh())?.cancelled()).toBe(true);
    await bus.batch([]).dispatch();
  });

  it('reports a callback that throws, and still runs the others', async () => {
    const { bus, reports } = setup();
    await bus
      .batch([new Row(1)])
      .onSuccess(() => {
        throw new Error('callback broke');
      })
      .onSuccess(() => trail.push('second'))
      .dispatch();
    expect(trail).toEqual(['row 1', 'second']);
    expect(reports.map((r) => [(r.error as Error).message, r.context.phase, r.context.callback])).toEqual([
      ['callback broke', 'batch-callback', 'onSuccess'],
    ]);
  });

  it('runs ShouldQueue jobs in this process when no queue is configured', async () => {
    const { bus } = setup();
    const seen = jest.fn();
    await bus.batch([new QueuedRow(1)]).onSuccess(seen).onQueue('ignored').dispatch();
    expect(trail).toEqual(['row 1']);
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it('keeps batches in the store given to useStore()', async () => {
    const { bus } = setup();
    const store = new MemoryBatchStore();
    bus.batches.useStore(store);
    const batch = await bus.batch([new Row(1)]).name('stored').dispatch();
    expect((await store.find(batch.id))?.name).toBe('stored');
  });
});

describe('a batch as a step of a chain, in this process', () => {
  it('runs the batch whole (jobs and callbacks), then the rest of the chain', async () => {
    const { bus } = setup();
    await bus
      .chain([new Row(1), bus.batch([new Row(2), [new Row(3), new Row(4)]]).finally(new Notify('finally')), new Row(5)])
      .dispatch();
    expect(trail).toEqual(['row 1', 'row 2', 'row 3', 'row 4', 'finally: 3/3 failed 0', 'row 5']);
  });

  it('stops the chain at a batch that a failure cancelled: catch gets the failed job, dispatch() rejects with its error', async () => {
    const { bus } = setup();
    const caught: unknown[] = [];
    const chained = bus
      .chain([bus.batch([new Row(1), new Broken(2)]), new Row(3)])
      .catch((error, failure) => caught.push(failure.job, (error as Error).message))
      .dispatch();
    await expect(chained).rejects.toThrow('row 2 broke');
    expect(trail).toEqual(['row 1', 'broken 2']);
    expect(caught).toEqual(['Broken', 'row 2 broke']);
  });

  it('goes on after failures the batch allowed', async () => {
    const { bus } = setup();
    await bus.chain([bus.batch([new Broken(1), new Row(2)]).allowFailures(), new Row(3)]).dispatch();
    expect(trail).toEqual(['broken 1', 'row 2', 'row 3']);
  });

  it('stops at a batch cancelled by one of its jobs, with ChainedBatchCancelledError', async () => {
    const { bus } = setup();
    class Cancels extends Job {
      async handle() {
        await (await this.batch())?.cancel();
      }
    }
    const chained = bus.chain([bus.batch([new Cancels()]).name('import 42'), new Row(9)]).dispatch();
    await expect(chained).rejects.toBeInstanceOf(ChainedBatchCancelledError);
    await expect(chained).rejects.toThrow(/\("import 42"\) of a chain was cancelled/);
    expect(trail).toEqual([]);
  });

  it('goes on past a batch without jobs', async () => {
    const { bus } = setup();
    await bus.chain([bus.batch([null, false]), new Row(1)]).dispatch();
    expect(trail).toEqual(['row 1']);
  });
});

describe('bad input', () => {
  it('refuses a list that is not one, and entries that are neither jobs nor lists of jobs', async () => {
    const { bus } = setup();
    await expect(bus.batch('rows' as never).dispatch()).rejects.toThrow(/take a list of job instances/);
    await expect(bus.batch([new Row(1), 42 as never]).dispatch()).rejects.toThrow(/Entry \[1\] of the batch is/);
    await expect(bus.batch([[new Row(1), [new Row(2)] as never]]).dispatch()).rejects.toThrow(/Entry \[0\]\[1\]/);
    await expect(bus.batch([bus.batch([new Row(1)]) as never]).dispatch()).rejects.toBeInstanceOf(InvalidBatchError);
    expect(trail).toEqual([]);
    expect(await bus.batches.store.list()).toEqual([]);
  });

  it('refuses callbacks that are not jobs or functions, and classes where instances were meant', () => {
    const { bus } = setup();
    const pending = bus.batch([new Row(1)]);
    expect(() => pending.onSuccess(42 as never)).toThrow(InvalidBatchError);
    expect(() => pending.catch(null as never)).toThrow(InvalidBatchError);
    expect(() => pending.finally(Notify)).toThrow(/pass an instance of it: \.finally\(new Notify/);
    expect(() => pending.allowFailures('yes' as never)).toThrow(/true or false/);
    expect(() => pending.name(7 as never)).toThrow(/a string/);
    expect(() => pending.onQueue('')).toThrow(/a queue name/);
    expect(() => pending.onConnection(undefined as never)).toThrow(/a connection name/);
  });

  it('refuses a function callback on a batch that goes through a queue, and keeps no batch', async () => {
    const { bus } = setup();
    const pushes: object[] = [];
    bus.setQueueResolver({ connection: (): QueueConnection => ({ push: async (job) => pushes.push(job) }) });
    const dispatched = bus.batch([new QueuedRow(1)]).finally(() => undefined).dispatch();
    await expect(dispatched).rejects.toBeInstanceOf(BatchCallbackNotQueueableError);
    await expect(bus.batch([new QueuedRow(1)]).finally(() => undefined).dispatch()).rejects.toThrow(
      /its finally\(\) cannot be a function/,
    );
    expect(pushes).toEqual([]);
    expect(await bus.batches.store.list()).toEqual([]);
  });

  it('reports a dispatch failure that nobody awaits', async () => {
    const { bus, reports } = setup();
    void bus.batch('rows' as never).dispatch();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reports.map((r) => [r.context.phase, (r.error as EpilogueError).code])).toEqual([['dispatch', 'E_INVALID_BATCH']]);
  });
});
