import { ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { BullMQDriver } from '@epilogue/bullmq';
import {
  configureQueues,
  defineRateLimit,
  QueuedJob,
  RateLimited,
  ThrottlesExceptions,
  WithoutOverlapping,
  Worker,
  type JobFinished,
} from '@epilogue/queue';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';
import { waitFor } from '@epilogue-internal/test-support/waits';

// Waits for `test`, named by its source in the failure.
const until = (test: () => boolean | Promise<boolean>, ms = 5000) => waitFor(String(test), test, ms);

// Job middleware options whose state is in the connection's atomic store, on Redis.

const ran: string[] = [];

class PartnerGoneError extends Error {}

@ShouldQueue()
class CallPartner extends QueuedJob {
  tries = 0;
  constructor(public label: string, public error?: 'gone' | 'down') {
    super();
  }
  middleware() {
    return [new ThrottlesExceptions(3, 60).deleteWhen(PartnerGoneError).backoff((attempts) => attempts * 0.01)];
  }
  handle() {
    ran.push(`${this.label} ${this.attempts()}`);
    if (this.error === 'gone') throw new PartnerGoneError('gone');
    if (this.error === 'down' && this.attempts() === 1) throw new Error('down');
  }
}

@ShouldQueue()
class Backup extends QueuedJob {
  tries = 0;
  constructor(public label: string) {
    super();
  }
  middleware() {
    return [new RateLimited('backups').releaseAfter(0.02)];
  }
  handle() {
    ran.push(this.label);
  }
}

let openLock: () => void = () => undefined;

@ShouldQueue()
class SyncLedger extends QueuedJob {
  tries = 0;
  middleware() {
    return [new WithoutOverlapping('ledger').withPrefix('books:').shared()];
  }
  async handle() {
    ran.push('ledger');
    await new Promise<void>((resolve) => (openLock = resolve));
  }
}

describeWithRedis('job middleware on BullMQDriver (local Redis)', () => {
  let prefix: string;
  let app: Application;
  let driver: BullMQDriver;
  let worker: Worker | undefined;
  const finished: JobFinished[] = [];

  beforeEach(() => {
    ran.length = 0;
    finished.length = 0;
    prefix = uniquePrefix('middleware');
    app = new Application({ report: () => undefined });
    driver = new BullMQDriver({ connection: REDIS, prefix });
    configureQueues(app, { default: 'redis', connections: { redis: driver } });
  });

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await driver.close();
    await deleteKeys(prefix);
  });

  function work(): void {
    worker = new Worker(app);
    worker.on('processed', (job) => finished.push(job));
    void worker.run();
  }

  it('ThrottlesExceptions: deleteWhen() deletes without counting in Redis; other errors count, with a backoff function', async () => {
    await CallPartner.dispatch('a', 'gone');
    work();
    await until(() => finished.length === 1);
    expect(await driver.atomics.peek('throttle:CallPartner')).toEqual({ count: 0, resetInMs: 0 });
    const failedAt = Date.now();
    await CallPartner.dispatch('b', 'down');
    await until(() => finished.length === 3);
    expect(finished.map((job) => job.status)).toEqual(['deleted', 'released', 'completed']);
    expect(ran).toEqual(['a 1', 'b 1', 'b 2']);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(10);
  });

  it('RateLimited: releaseAfter() puts a job over a Redis-held limit back after that delay, not at the window’s end', async () => {
    defineRateLimit(app, 'backups', () => ({ max: 1, decaySeconds: 60 }));
    await Backup.dispatch('first');
    await Backup.dispatch('second');
    work();
    await until(() => finished.filter((job) => job.status === 'released').length >= 3);
    expect(ran).toEqual(['first']);
    expect((await driver.atomics.peek('rate:backups:0:')).count).toBeGreaterThanOrEqual(2);
  });

  it('WithoutOverlapping: withPrefix() keys the lock in Redis under that prefix', async () => {
    await SyncLedger.dispatch();
    work();
    await until(() => ran.includes('ledger'));
    expect(await driver.atomics.owner('books::ledger')).toEqual(expect.any(String));
    openLock();
    await until(() => finished.length === 1);
    expect(await driver.atomics.owner('books::ledger')).toBeUndefined();
  });
});
