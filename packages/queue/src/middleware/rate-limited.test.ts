import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  defineRateLimit,
  InvalidJobMiddlewareError,
  InvalidRateLimitError,
  QueuedJob,
  RateLimited,
} from '@epilogue/queue';
import { queueApp, startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { waitFor } from '@epilogue-internal/test-support/waits';

const runs: { label: string; at: number }[] = [];

@ShouldQueue()
class Backup extends QueuedJob {
  tries = 0;
  constructor(
    public label: string,
    public userId = 1,
    public limiter = 'backups',
    public dontRelease = false,
    public releaseAfter?: number,
  ) {
    super();
  }
  middleware() {
    const limited = new RateLimited(this.limiter);
    if (this.releaseAfter !== undefined) limited.releaseAfter(this.releaseAfter);
    return [this.dontRelease ? limited.dontRelease() : limited];
  }
  handle() {
    runs.push({ label: this.label, at: Date.now() });
    return this.label;
  }
}

const labels = () => runs.map((run) => run.label);

afterEach(stopWorkers);

beforeEach(() => {
  runs.length = 0;
});

async function dispatchAll(...jobs: Backup[]) {
  for (const job of jobs) await Application.getInstance().make(Dispatcher).dispatch(job);
}

function limit(app: Application, max: number, decaySeconds: number) {
  defineRateLimit(app, 'backups', (job: Backup) => ({ max, decaySeconds, by: job.userId }));
}

describe('RateLimited', () => {
  it('runs `max` jobs per window and puts the rest back until a window has room', async () => {
    const { app } = queueApp();
    limit(app, 2, 0.08);
    await dispatchAll(...['1', '2', '3', '4', '5'].map((label) => new Backup(label)));
    const worker = startWorker(app);
    await waitFor('five runs', () => runs.length === 5);
    await worker.stop();
    expect(labels().sort()).toEqual(['1', '2', '3', '4', '5']);
    const first = runs[0].at;
    // Two per window: the third and fourth wait for the second window, the fifth for the third.
    expect(runs.filter((run) => run.at - first < 70)).toHaveLength(2);
    expect(runs[4].at - first).toBeGreaterThanOrEqual(150);
    expect(worker.statuses().filter((status) => status === 'released').length).toBeGreaterThanOrEqual(3);
  });

  it('gives each `by` value its own window', async () => {
    const { app } = queueApp();
    limit(app, 1, 10);
    await dispatchAll(new Backup('alice 1', 1), new Backup('alice 2', 1), new Backup('bob 1', 2));
    const worker = startWorker(app);
    await waitFor('three attempts', () => worker.finished.length === 3);
    await worker.stop();
    expect(labels()).toEqual(['alice 1', 'bob 1']);
    expect(worker.finished.map((job) => job.status)).toEqual(['completed', 'released', 'completed']);
  });

  it('deletes the jobs over the limit with dontRelease()', async () => {
    const { app, memory } = queueApp();
    limit(app, 1, 10);
    await dispatchAll(new Backup('kept'), Object.assign(new Backup('dropped'), { dontRelease: true }));
    const worker = startWorker(app);
    await waitFor('two attempts', () => worker.finished.length === 2);
    await worker.stop();
    expect(labels()).toEqual(['kept']);
    expect(worker.statuses()).toEqual(['completed', 'deleted']);
    expect(await memory.size('default')).toBe(0);
  });

  it('puts the jobs over the limit back after releaseAfter() seconds instead of when the window ends', async () => {
    const { app } = queueApp();
    limit(app, 1, 60);
    await dispatchAll(new Backup('kept'), Object.assign(new Backup('waiting'), { releaseAfter: 0.03 }));
    const worker = startWorker(app);
    const releasedAt: number[] = [];
    worker.worker.on('processed', (job) => job.status === 'released' && releasedAt.push(Date.now()));
    await waitFor('three releases within the 60 s window', () => releasedAt.length === 3);
    await worker.stop();
    expect(labels()).toEqual(['kept']);
    expect(releasedAt[2] - releasedAt[0]).toBeGreaterThanOrEqual(55);
  });

  it('lets every job run when the limiter returns no limit', async () => {
    const { app } = queueApp();
    defineRateLimit(app, 'backups', (job: Backup) => (job.userId === 1 ? null : { max: 1, decaySeconds: 10 }));
    await dispatchAll(new Backup('a', 1), new Backup('b', 1), new Backup('c', 1));
    const worker = startWorker(app);
    await waitFor('three runs', () => runs.length === 3);
    await worker.stop();
    expect(worker.statuses()).toEqual(['completed', 'completed', 'completed']);
  });

  it('with several limits, a job held back by one full window uses no room in the others', async () => {
    const { app } = queueApp();
    defineRateLimit(app, 'backups', async (job: Backup) => [
      { max: 1, decaySeconds: 10, by: job.userId },
      { max: 2, decaySeconds: 10 },
    ]);
    await dispatchAll(new Backup('alice 1', 1), new Backup('alice 2', 1), new Backup('bob 1', 2));
    const worker = startWorker(app);
    await waitFor('three attempts', () => worker.finished.length === 3);
    await worker.stop();
    expect(labels()).toEqual(['alice 1', 'bob 1']);
  });

  it('fails the job with RateLimiterNotFoundError when no limiter has the name', async () => {
    const { app, memory } = queueApp();
    await dispatchAll(Object.assign(new Backup('x'), { limiter: 'nightly', tries: 1 }));
    const worker = startWorker(app);
    await waitFor('a failure', () => worker.statuses().includes('failed'));
    await worker.stop();
    const [record] = await memory.failedJobs.list();
    expect(record.exception).toMatch(/E_RATE_LIMITER_NOT_FOUND.*"nightly".*defineRateLimit/);
  });

  it('fails the job with InvalidRateLimitError when the limiter returns an unusable limit', async () => {
    const { app, memory } = queueApp();
    defineRateLimit(app, 'backups', () => ({ max: 0, decaySeconds: 60 }));
    await dispatchAll(Object.assign(new Backup('x'), { tries: 1 }));
    const worker = startWorker(app);
    await waitFor('a failure', () => worker.statuses().includes('failed'));
    await worker.stop();
    const [record] = await memory.failedJobs.list();
    expect(record.exception).toMatch(/E_INVALID_RATE_LIMIT.*`max` must be a whole number ≥ 1; got number 0\. Return/);
  });

  describe('without a queue', () => {
    it('runs the job with dispatchSync while there is room, and skips it (undefined) when full', async () => {
      const { app } = queueApp();
      limit(app, 1, 10);
      await expect(Backup.dispatchSync('first')).resolves.toBe('first');
      await expect(Backup.dispatchSync('second')).resolves.toBeUndefined();
      expect(labels()).toEqual(['first']);
    });
  });

  it('refuses unusable definitions and names', () => {
    const { app } = queueApp();
    expect(() => defineRateLimit(app, '', () => null)).toThrow(InvalidRateLimitError);
    expect(() => defineRateLimit(app, 'x', 'no' as never)).toThrow(InvalidRateLimitError);
    expect(() => new RateLimited('')).toThrow(InvalidJobMiddlewareError);
    expect(() => new RateLimited('x').releaseAfter(-1)).toThrow(/RateLimited: `releaseAfter` must be seconds ≥ 0/);
  });
});
