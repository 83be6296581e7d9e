import { ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { BullMQDriver } from '@epilogue/bullmq';
import { configureQueues, QueuedJob, ThrottlesExceptions, Worker, type JobFinished } from '@epilogue/queue';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '../../../test/support/redis.js';

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
});

async function until(test: () => boolean | Promise<boolean>, waitMs = 5000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
