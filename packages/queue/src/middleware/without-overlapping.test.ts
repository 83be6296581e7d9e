import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  InvalidJobMiddlewareError,
  MemoryAtomicStore,
  MemoryDriver,
  queueManager,
  QueuedJob,
  WithoutOverlapping,
  type QueuedJobOptions,
} from '@epilogue/queue';
import { queueApp, startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { gate, waitFor } from '@epilogue-internal/test-support/waits';

const trail: string[] = [];
const gates = new Map<string, Promise<void>>();
let running = new Map<string, number>();
let most = new Map<string, number>();

/** Records its runs per key, waits on its gate if it has one, and throws when asked. */
@ShouldQueue()
class SyncAccount extends QueuedJob implements QueuedJobOptions {
  tries = 0;
  constructor(
    public label: string,
    public account: string,
    public options: { releaseAfter?: number; dontRelease?: boolean; expireAfter?: number; throws?: boolean; prefix?: string } = {},
  ) {
    super();
  }
  middleware() {
    const lock = new WithoutOverlapping(this.account).releaseAfter(this.options.releaseAfter ?? 0.005);
    if (this.options.dontRelease) lock.dontRelease();
    if (this.options.expireAfter !== undefined) lock.expireAfter(this.options.expireAfter);
    if (this.options.prefix !== undefined) lock.withPrefix(this.options.prefix);
    return [lock];
  }
  async handle() {
    trail.push(`start ${this.label}`);
    running.set(this.account, (running.get(this.account) ?? 0) + 1);
    most.set(this.account, Math.max(most.get(this.account) ?? 0, running.get(this.account)!));
    try {
      await gates.get(this.label);
      if (this.options.throws && this.attempts() === 1) throw new Error(`${this.label} broke`);
    } finally {
      running.set(this.account, running.get(this.account)! - 1);
      trail.push(`end ${this.label}`);
    }
    return this.label;
  }
}

@ShouldQueue()
class ExportLedger extends QueuedJob {
  tries = 0;
  constructor(public label: string) {
    super();
  }
  middleware() {
    return [new WithoutOverlapping('ledger').shared().releaseAfter(0.005)];
  }
  async handle() {
    trail.push(`start ${this.label}`);
    await gates.get(this.label);
    trail.push(`end ${this.label}`);
  }
}

@ShouldQueue()
class ImportLedger extends ExportLedger {}

function hold(label: string) {
  const { opened, open } = gate();
  gates.set(label, opened);
  return open;
}

afterEach(stopWorkers);

beforeEach(() => {
  trail.length = 0;
  gates.clear();
  running = new Map();
  most = new Map();
});

describe('WithoutOverlapping', () => {
  it('runs one job per key at a time, releasing the others, while other keys run side by side', async () => {
    const { app } = queueApp();
    const open = hold('a1');
    await SyncAccount.dispatch('a1', 'alice');
    await SyncAccount.dispatch('a2', 'alice');
    await SyncAccount.dispatch('b1', 'bob');
    const worker = startWorker(app, { concurrency: 3 });
    await waitFor('b1 to finish and a2 to be released', () =>
      trail.includes('end b1') && worker.finished.some((job) => job.status === 'released'),
    );
    expect(trail).not.toContain('start a2');
    open();
    await waitFor('a2 to run', () => trail.includes('end a2'));
    await worker.stop();
    expect(most.get('alice')).toBe(1);
    expect(trail.indexOf('start a2')).toBeGreaterThan(trail.indexOf('end a1'));
    expect(worker.statuses().filter((status) => status === 'completed')).toHaveLength(3);
  });

  it('puts a held-back job back after `releaseAfter` seconds', async () => {
    const { app } = queueApp();
    const open = hold('first');
    await SyncAccount.dispatch('first', 'alice');
    await SyncAccount.dispatch('second', 'alice', { releaseAfter: 0.05 });
    const worker = startWorker(app, { concurrency: 2 });
    let releasedAt = 0;
    worker.worker.on('processed', (job) => (releasedAt ||= job.status === 'released' ? Date.now() : 0));
    await waitFor('second to be released', () => releasedAt > 0);
    open();
    await waitFor('second to run', () => trail.includes('end second'));
    await worker.stop();
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(45);
  });

  it('deletes a job that finds the lock held, with dontRelease()', async () => {
    const { app } = queueApp();
    const open = hold('first');
    await SyncAccount.dispatch('first', 'alice');
    await SyncAccount.dispatch('second', 'alice', { dontRelease: true });
    const worker = startWorker(app, { concurrency: 2 });
    await waitFor('second to be deleted', () => worker.statuses().includes('deleted'));
    open();
    await waitFor('first to finish', () => worker.statuses().includes('completed'));
    await worker.stop();
    expect(trail).toEqual(['start first', 'end first']);
  });

  it('frees the lock when the job throws', async () => {
    const { app } = queueApp();
    const open = hold('broken');
    await app.make(Dispatcher).dispatch(Object.assign(new SyncAccount('broken', 'alice', { throws: true }), { tries: 1 }));
    await SyncAccount.dispatch('next', 'alice');
    const worker = startWorker(app, { concurrency: 2 });
    await waitFor('next to be held back', () => worker.statuses().includes('released'));
    open();
    await waitFor('next to run', () => trail.includes('end next'));
    await worker.stop();
    expect(trail).toEqual(['start broken', 'end broken', 'start next', 'end next']);
    expect(worker.statuses()).toContain('failed');
  });

  it('frees the lock after `expireAfter` seconds even while the job still runs', async () => {
    const { app } = queueApp();
    const open = hold('stuck');
    await SyncAccount.dispatch('stuck', 'alice', { expireAfter: 0.04 });
    const startedAt = Date.now();
    await SyncAccount.dispatch('next', 'alice');
    const worker = startWorker(app, { concurrency: 2 });
    await waitFor('next to run while stuck still holds its attempt', () => trail.includes('end next'));
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(35);
    expect(trail).not.toContain('end stuck');
    open();
    await waitFor('stuck to finish', () => trail.includes('end stuck'));
    await worker.stop();
  });

  it('shares one lock between job classes with shared()', async () => {
    const { app } = queueApp();
    const open = hold('export');
    await ExportLedger.dispatch('export');
    await ImportLedger.dispatch('import');
    const worker = startWorker(app, { concurrency: 2 });
    await waitFor('import to be held back', () => worker.statuses().includes('released'));
    open();
    await waitFor('import to run', () => trail.includes('end import'));
    await worker.stop();
    expect(trail).toEqual(['start export', 'end export', 'start import', 'end import']);
  });

  it('keys the lock under withPrefix(): jobs with other prefixes do not wait for it', async () => {
    const { app, manager } = queueApp();
    const open = hold('billing');
    await SyncAccount.dispatch('billing', 'alice', { prefix: 'billing:' });
    await SyncAccount.dispatch('reports', 'alice', { prefix: 'reports:' });
    const worker = startWorker(app, { concurrency: 2 });
    await waitFor('reports to run while billing holds its lock', () => trail.includes('end reports'));
    expect(await manager.atomics().owner('billing:SyncAccount:alice')).toEqual(expect.any(String));
    expect(await manager.atomics().owner('overlap:SyncAccount:alice')).toBeUndefined();
    open();
    await waitFor('billing to finish', () => trail.includes('end billing'));
    await worker.stop();
    expect(await manager.atomics().owner('billing:SyncAccount:alice')).toBeUndefined();
  });

  it('holds across two applications (two machines) whose drivers share one store', async () => {
    const atomics = new MemoryAtomicStore();
    const machineA = queueApp(Object.assign(new MemoryDriver(), { atomics }));
    const machineB = queueApp(Object.assign(new MemoryDriver(), { atomics }));
    const open = hold('on A');
    await queueManager(machineA.app).connection().push(new SyncAccount('on A', 'alice'), {});
    await queueManager(machineB.app).connection().push(new SyncAccount('on B', 'alice'), {});
    const workerA = startWorker(machineA.app);
    await waitFor('A to start', () => trail.includes('start on A'));
    const workerB = startWorker(machineB.app);
    await waitFor('B to be held back', () => workerB.statuses().includes('released'));
    expect(trail).toEqual(['start on A']);
    open();
    await waitFor('B to run', () => trail.includes('end on B'));
    await Promise.all([workerA.stop(), workerB.stop()]);
    expect(most.get('alice')).toBe(1);
  });

  describe('without a queue', () => {
    it('runs the job under the lock with dispatchSync, in the store of its connection', async () => {
      const { app, manager } = queueApp();
      const open = hold('sync');
      const result = SyncAccount.dispatchSync('sync', 'alice');
      await waitFor('the job to start', () => trail.includes('start sync'));
      expect(await manager.atomics().owner('overlap:SyncAccount:alice')).toEqual(expect.any(String));
      open();
      await expect(result).resolves.toBe('sync');
      expect(await queueManager(app).atomics().owner('overlap:SyncAccount:alice')).toBeUndefined();
    });

    it('skips the job while the lock is held: it does not run and resolves to undefined', async () => {
      const { manager } = queueApp();
      await manager.atomics().acquire('overlap:SyncAccount:alice', 'a worker');
      await expect(SyncAccount.dispatchSync('skipped', 'alice')).resolves.toBeUndefined();
      expect(trail).toEqual([]);
    });

    it('uses the application’s memory store before queues are configured', async () => {
      new Application();
      await expect(SyncAccount.dispatchSync('plain', 'alice')).resolves.toBe('plain');
    });
  });

  it('refuses unusable options with InvalidJobMiddlewareError', () => {
    expect(() => new WithoutOverlapping('k').releaseAfter(-1)).toThrow(InvalidJobMiddlewareError);
    expect(() => new WithoutOverlapping('k').expireAfter(0)).toThrow(InvalidJobMiddlewareError);
    expect(() => new WithoutOverlapping('k').expireAfter(Infinity)).toThrow(InvalidJobMiddlewareError);
    expect(() => new WithoutOverlapping('k').withPrefix('')).toThrow(/`withPrefix` must be a non-empty string/);
    expect(() => new WithoutOverlapping({} as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_JOB_MIDDLEWARE', message: expect.stringContaining('`key`') }),
    );
  });
});
