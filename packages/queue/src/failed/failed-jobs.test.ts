import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  configureQueues,
  FailedJobNotFoundError,
  MemoryDriver,
  SyncDriver,
  Worker,
  type QueueManager,
} from '@epilogue/queue';

const clock = { now: () => 1_000 };
let healthy = false;
const ran: string[] = [];

@ShouldQueue()
class Flaky extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    if (!healthy) throw new Error(`${this.label} is flaky`);
    ran.push(this.label);
  }
}

@ShouldQueue()
class WithDeadline extends Job {
  retryUntil() {
    return new Date(clock.now() + 1_000);
  }
  handle() {
    if (!healthy) {
      clock.now = () => 60_000; // the deadline passes while it fails: no more retries
      throw new Error('not yet');
    }
    ran.push('deadline');
  }
}

let app: Application;
let manager: QueueManager;

beforeEach(() => {
  healthy = false;
  ran.length = 0;
  clock.now = () => 1_000;
  app = new Application({ report: () => undefined });
  manager = configureQueues(app, {
    default: 'memory',
    connections: { memory: new MemoryDriver(), sync: new SyncDriver() },
    clock,
  });
});

function work() {
  return new Worker(app, { stopWhenEmpty: true, queues: ['default', 'other'] }).run();
}

async function failTwo() {
  const first = String(await Flaky.dispatch('first'));
  const second = String(await Flaky.dispatch('second').onQueue('other'));
  await work();
  return [first, second];
}

describe('FailedJobs', () => {
  it('lists and shows failed jobs with their queue, payload and exception', async () => {
    const [first, second] = await failTwo();
    const failed = manager.failedJobs();
    expect((await failed.list()).map((job) => [job.id, job.queue])).toEqual([
      [first, 'default'],
      [second, 'other'],
    ]);
    const shown = await failed.show(first);
    expect(shown?.exception).toMatch(/first is flaky/);
    expect(JSON.parse(shown!.payload)).toMatchObject({ id: first, job: 'Flaky', data: { label: 'first' } });
    expect(await failed.show('missing')).toBeUndefined();
  });

  it('retries one job on its own queue, and forgets it', async () => {
    const [first] = await failTwo();
    healthy = true;
    const failed = manager.failedJobs();
    await failed.retry(first);
    expect((await failed.list()).map((job) => job.id)).not.toContain(first);
    expect(await manager.size('default')).toBe(1);
    await work();
    expect(ran).toEqual(['first']);
  });

  it('retries all of them', async () => {
    await failTwo();
    healthy = true;
    await expect(manager.failedJobs().retryAll()).resolves.toBe(2);
    await work();
    expect(ran.sort()).toEqual(['first', 'second']);
    expect(await manager.failedJobs().list()).toEqual([]);
  });

  it('counts attempts from zero again on a retried job', async () => {
    const [first] = await failTwo();
    await manager.failedJobs().retry(first);
    const attempts: number[] = [];
    const worker = new Worker(app, { stopWhenEmpty: true });
    worker.on('processing', (job) => attempts.push(job.attempts));
    await worker.run();
    expect(attempts).toEqual([1]);
    expect((await manager.failedJobs().list()).map((job) => job.id)).toContain(first);
  });

  it('gives a job with a retryUntil() method a new deadline when retried', async () => {
    const id = String(await WithDeadline.dispatch());
    await work();
    expect((await manager.failedJobs().list()).map((job) => job.id)).toEqual([id]);
    healthy = true;
    await manager.failedJobs().retry(id);
    await work();
    expect(ran).toEqual(['deadline']);
  });

  it('forgets one, flushes all, and refuses to retry what it does not have', async () => {
    const [first] = await failTwo();
    const failed = manager.failedJobs();
    await expect(failed.forget(first)).resolves.toBe(true);
    await expect(failed.forget(first)).resolves.toBe(false);
    await expect(failed.retry(first)).rejects.toBeInstanceOf(FailedJobNotFoundError);
    await expect(failed.flush()).resolves.toBe(1);
    expect(await failed.list()).toEqual([]);
  });

  it('prunes the records that failed before a time, whatever order they were logged in', async () => {
    const store = manager.driver().failedJobs;
    for (const [id, failedAt] of [['new', 5_000], ['old', 1_000], ['edge', 3_000], ['older', 500]] as const) {
      await store.log({ id, queue: 'default', payload: '{}', exception: 'Error: x', failedAt });
    }
    const failed = manager.failedJobs();
    await expect(failed.prune(3_000)).resolves.toBe(2);
    expect((await failed.list()).map((record) => record.id)).toEqual(['new', 'edge']);
    await expect(failed.prune(new Date(10_000))).resolves.toBe(2);
    expect(await failed.list()).toEqual([]);
  });

  it('on the sync connection, runs a retried job at once, and keeps it when it fails again', async () => {
    await expect(Flaky.dispatch('sync').onConnection('sync')).rejects.toThrow('sync is flaky');
    const failed = manager.failedJobs('sync');
    const [record] = await failed.list();
    await expect(failed.retry(record.id)).rejects.toThrow('sync is flaky');
    expect((await failed.list()).map((job) => job.id)).toEqual([record.id]);
    healthy = true;
    await expect(failed.retryAll()).resolves.toBe(1);
    expect(ran).toEqual(['sync']);
    expect(await failed.list()).toEqual([]);
  });
});
