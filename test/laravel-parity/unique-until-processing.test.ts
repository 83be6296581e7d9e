import { ShouldQueue } from '@epilogue/bus';
import {
  defineRateLimit,
  QueuedJob,
  RateLimited,
  ShouldBeUniqueUntilProcessing,
  WithoutOverlapping,
  type QueuedJobOptions,
} from '@epilogue/queue';
import { queueApp, startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { waitFor } from '@epilogue-internal/test-support/waits';

const ran: string[] = [];

@ShouldQueue()
@ShouldBeUniqueUntilProcessing()
class RefreshFeed extends QueuedJob implements QueuedJobOptions {
  tries = 0;
  uniqueId = 'feed';
  constructor(
    public label: string,
    public limiter: 'rate' | 'overlap' = 'rate',
  ) {
    super();
  }
  middleware() {
    return [this.limiter === 'rate' ? new RateLimited('feeds') : new WithoutOverlapping('feed').releaseAfter(60)];
  }
  handle() {
    ran.push(this.label);
  }
}

afterEach(stopWorkers);

beforeEach(() => {
  ran.length = 0;
});

describe('a ShouldBeUniqueUntilProcessing lock is released when the handler is reached, as in Laravel', () => {
  it('a job RateLimited and released back keeps its lock: a second dispatch is still refused as a duplicate', async () => {
    const { app } = queueApp();
    defineRateLimit(app, 'feeds', () => ({ max: 1, decaySeconds: 60 }));
    await RefreshFeed.dispatch('runs');
    const worker = startWorker(app);
    await waitFor('the first job to run', () => worker.statuses().length === 1);
    // The window is full: this one is released back for a minute, and keeps the lock meanwhile.
    await expect(RefreshFeed.dispatch('held back')).resolves.toEqual(expect.any(String));
    await waitFor('it to be released', () => worker.statuses().length === 2);
    expect(worker.statuses()).toEqual(['completed', 'released']);
    await expect(RefreshFeed.dispatch('duplicate')).resolves.toBeNull();
    await worker.stop();
    expect(ran).toEqual(['runs']);
  });

  it('a job held back by WithoutOverlapping keeps its lock too', async () => {
    const { app, manager } = queueApp();
    // Another process holds the overlap lock of this key.
    await manager.atomics().acquire('overlap:RefreshFeed:feed', 'elsewhere', 60_000);
    await RefreshFeed.dispatch('held back', 'overlap');
    const worker = startWorker(app);
    await waitFor('it to be released', () => worker.statuses().length === 1);
    expect(worker.statuses()).toEqual(['released']);
    await expect(RefreshFeed.dispatch('duplicate', 'overlap')).resolves.toBeNull();
    await worker.stop();
    expect(ran).toEqual([]);
  });
});
