import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  configureQueues,
  InvalidJobOptionError,
  isShouldBeUnique,
  MemoryAtomicStore,
  MemoryDriver,
  QueuedJob,
  ShouldBeUnique,
  ShouldBeUniqueUntilProcessing,
  type JobSkipped,
  type UniqueJob,
} from '@epilogue/queue';
import { queueApp, startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { gate, waitFor } from '@epilogue-internal/test-support/waits';

const ran: string[] = [];
const gates = new Map<string, Promise<void>>();

@ShouldQueue()
@ShouldBeUnique()
class RebuildIndex extends QueuedJob implements UniqueJob {
  uniqueFor?: number;
  constructor(
    public productId: number | object,
    public outcome: 'ok' | 'throw' | 'delete' = 'ok',
  ) {
    super();
  }
  uniqueId() {
    return this.productId as number;
  }
  async handle() {
    ran.push(`${String(this.productId)} ${this.outcome}`);
    await gates.get(String(this.productId));
    if (this.outcome === 'throw') throw new Error('index down');
    if (this.outcome === 'delete') this.delete();
  }
}

@ShouldQueue()
@ShouldBeUnique()
class PruneCache extends QueuedJob {
  handle() {
    ran.push('prune');
  }
}

@ShouldQueue()
@ShouldBeUniqueUntilProcessing()
class RefreshFeed extends QueuedJob {
  uniqueId = 'feed';
  constructor(public label: string) {
    super();
  }
  async handle() {
    ran.push(this.label);
    await gates.get(this.label);
  }
}

function hold(label: string) {
  const { opened, open } = gate();
  gates.set(label, opened);
  return open;
}

function dispatch(job: object, options: object = {}) {
  return Application.getInstance().make(Dispatcher).dispatch(Object.assign(job, options));
}

afterEach(stopWorkers);

beforeEach(() => {
  ran.length = 0;
  gates.clear();
});

describe('ShouldBeUnique', () => {
  it('skips a dispatch while an equal job waits: it resolves to null and emits `skipped`', async () => {
    const { manager, memory } = queueApp();
    const skipped: JobSkipped[] = [];
    manager.on('skipped', (event) => skipped.push(event));
    const id = await RebuildIndex.dispatch(7);
    const again = new RebuildIndex(7);
    expect(id).toEqual(expect.any(String));
    await expect(dispatch(again)).resolves.toBeNull();
    await expect(RebuildIndex.dispatch(8)).resolves.toEqual(expect.any(String));
    expect(await memory.size('default')).toBe(2);
    expect(skipped).toEqual([{ job: again, connection: 'memory', key: 'unique:RebuildIndex:7' }]);
    expect(await manager.atomics().owner('unique:RebuildIndex:7')).toBe(id);
  });

  it('allows the dispatch again once the job completed', async () => {
    const { app } = queueApp();
    await RebuildIndex.dispatch(7);
    const worker = startWorker(app);
    await waitFor('the job to complete', () => worker.statuses().includes('completed'));
    await worker.stop();
    await expect(RebuildIndex.dispatch(7)).resolves.toEqual(expect.any(String));
  });

  it('keeps the lock while the job runs and while it is released for a retry, and frees it when it failed for good', async () => {
    const { app } = queueApp();
    const open = hold('7');
    await dispatch(new RebuildIndex(7, 'throw'), { tries: 2, backoff: 0.03 });
    const worker = startWorker(app);
    await waitFor('the first attempt to start', () => ran.length === 1);
    await expect(RebuildIndex.dispatch(7)).resolves.toBeNull();
    open();
    await waitFor('the release', () => worker.statuses().includes('released'));
    await expect(RebuildIndex.dispatch(7)).resolves.toBeNull();
    await waitFor('the failure', () => worker.statuses().includes('failed'));
    await worker.stop();
    await expect(RebuildIndex.dispatch(7)).resolves.toEqual(expect.any(String));
  });

  it('frees the lock when the job deleted itself', async () => {
    const { app } = queueApp();
    await RebuildIndex.dispatch(7, 'delete');
    const worker = startWorker(app);
    await waitFor('the deletion', () => worker.statuses().includes('deleted'));
    await worker.stop();
    await expect(RebuildIndex.dispatch(7)).resolves.toEqual(expect.any(String));
  });

  it('frees the lock after `uniqueFor` seconds, even if the job never ran', async () => {
    queueApp();
    const start = Date.now();
    await dispatch(new RebuildIndex(7), { uniqueFor: 0.04 });
    await expect(RebuildIndex.dispatch(7)).resolves.toBeNull();
    let id: unknown = null;
    await waitFor('the lock to expire', async () => (id = await RebuildIndex.dispatch(7)) !== null);
    expect(id).toEqual(expect.any(String));
    expect(Date.now() - start).toBeGreaterThanOrEqual(35);
  });

  it('frees only its own lock: a job that outlived its `uniqueFor` leaves the next one’s lock alone', async () => {
    const { app, manager } = queueApp();
    const open = hold('7');
    await dispatch(new RebuildIndex(7), { uniqueFor: 0.03 });
    const worker = startWorker(app);
    await waitFor('the job to start', () => ran.length === 1);
    let second: unknown = null;
    // The second waits on a queue this worker does not take from.
    const waiting = () => dispatch(new RebuildIndex(7), { queue: 'later' });
    await waitFor('the lock to expire', async () => (second = await waiting()) !== null);
    open();
    await waitFor('the first to complete', () => worker.statuses().includes('completed'));
    await worker.stop();
    expect(await manager.atomics().owner('unique:RebuildIndex:7')).toBe(second);
  });

  it('takes one lock for the whole class when the job has no uniqueId', async () => {
    queueApp();
    await expect(PruneCache.dispatch()).resolves.toEqual(expect.any(String));
    await expect(PruneCache.dispatch()).resolves.toBeNull();
  });

  it('frees the lock when the push fails', async () => {
    const { app } = queueApp();
    const closed = new MemoryDriver();
    await closed.close();
    configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver(), closed } });
    await expect(RebuildIndex.dispatch(7).onConnection('closed')).rejects.toThrow(/closed/);
    await expect(RebuildIndex.dispatch(7)).resolves.toEqual(expect.any(String));
  });

  it('holds across two applications (two machines) whose drivers share one store', async () => {
    const atomics = new MemoryAtomicStore();
    const machineA = queueApp(Object.assign(new MemoryDriver(), { atomics }));
    queueApp(Object.assign(new MemoryDriver(), { atomics }));
    expect(await dispatch(new RebuildIndex(7))).toEqual(expect.any(String)); // on B, the last app made
    Application.setInstance(machineA.app);
    expect(await dispatch(new RebuildIndex(7))).toBeNull();
  });

  it('is ignored by dispatchSync, which runs the job whatever the lock', async () => {
    queueApp();
    await RebuildIndex.dispatch(7);
    await RebuildIndex.dispatchSync(7);
    expect(ran).toEqual(['7 ok']);
  });

  it('on the sync connection, runs the job and frees the lock before dispatch() resolves', async () => {
    queueApp();
    await RebuildIndex.dispatch(7).onConnection('sync');
    await RebuildIndex.dispatch(7).onConnection('sync');
    expect(ran).toEqual(['7 ok', '7 ok']);
  });

  it('refuses an unusable uniqueId or uniqueFor at dispatch with InvalidJobOptionError', async () => {
    queueApp();
    await expect(RebuildIndex.dispatch({})).rejects.toThrow(InvalidJobOptionError);
    await expect(dispatch(new RebuildIndex(7), { uniqueFor: 0 })).rejects.toThrow(
      /RebuildIndex\.uniqueFor must be seconds > 0 \(leave it out/,
    );
  });

  it('is inherited by subclasses and readable with isShouldBeUnique()', () => {
    class Subclass extends RebuildIndex {}
    expect(isShouldBeUnique(Subclass)).toBe(true);
    expect(isShouldBeUnique(new PruneCache())).toBe(true);
    expect(isShouldBeUnique(QueuedJob)).toBe(false);
    expect(isShouldBeUnique(null)).toBe(false);
  });
});

describe('ShouldBeUniqueUntilProcessing', () => {
  it('frees the lock as the job starts, so that one more may wait while it runs', async () => {
    const { app } = queueApp();
    const open = hold('first');
    await RefreshFeed.dispatch('first');
    await expect(RefreshFeed.dispatch('early')).resolves.toBeNull();
    const worker = startWorker(app);
    await waitFor('the job to start', () => ran.length === 1);
    await expect(RefreshFeed.dispatch('second')).resolves.toEqual(expect.any(String));
    await expect(RefreshFeed.dispatch('third')).resolves.toBeNull();
    open();
    await waitFor('both to complete', () => worker.statuses().length === 2);
    await worker.stop();
    expect(ran).toEqual(['first', 'second']);
  });
});
