import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { BullMQDriver, RedisFailedJobStore } from '@epilogue/bullmq';
import { configureQueues, queueManager, QueuedJob, Worker, type QueuedJobOptions } from '@epilogue/queue';
import { Redis } from 'ioredis';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '../../../test/support/redis.js';

const ran: string[] = [];

@ShouldQueue()
class Greet extends Job {
  constructor(
    public name: string,
    public at: Date,
  ) {
    super();
  }
  handle() {
    ran.push(`${this.name} ${this.at.toISOString()}`);
  }
}

@ShouldQueue()
class Flaky extends QueuedJob implements QueuedJobOptions {
  tries = 3;
  backoff = [0.02];
  constructor(public label: string) {
    super();
  }
  handle() {
    ran.push(`${this.label} attempt ${this.attempts()}`);
    if (this.attempts() < 3) throw new Error(`flaky ${this.attempts()}`);
  }
}

@ShouldQueue()
class Doomed extends QueuedJob implements QueuedJobOptions {
  tries = 2;
  static failures: string[] = [];
  handle() {
    throw new RangeError('always');
  }
  failed(error: unknown) {
    Doomed.failures.push(String(error));
  }
}

describeWithRedis('Worker on BullMQDriver (local Redis)', () => {
  let prefix: string;
  let app: Application;
  let driver: BullMQDriver;
  const errors: unknown[] = [];

  beforeEach(() => {
    ran.length = 0;
    Doomed.failures = [];
    errors.length = 0;
    prefix = uniquePrefix('worker');
    app = new Application({ report: (error) => errors.push(error) });
    driver = new BullMQDriver({ connection: REDIS, prefix });
    configureQueues(app, { default: 'redis', connections: { redis: driver } });
  });

  afterEach(async () => {
    await driver.close();
    await deleteKeys(prefix);
  });

  it('runs a dispatched job with its fields in a worker, once', async () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const id = await Greet.dispatch('Ada', at);
    expect(typeof id).toBe('string');
    expect(await queueManager(app).size()).toBe(1);
    const summary = await new Worker(app, { stopWhenEmpty: true }).run();
    expect(summary).toEqual({ reason: 'empty', jobs: 1 });
    expect(ran).toEqual(['Ada 2026-01-02T03:04:05.000Z']);
    expect(await queueManager(app).size()).toBe(0);
  });

  it('retries with backoff and counts attempts from BullMQ', async () => {
    await Flaky.dispatch('f');
    const worker = new Worker(app);
    const running = worker.run();
    await until(() => ran.length === 3);
    await worker.stop();
    await running;
    expect(ran).toEqual(['f attempt 1', 'f attempt 2', 'f attempt 3']);
    expect(await driver.failedJobs.list()).toEqual([]);
  });

  it('keeps a job that failed for good in Redis, seen by every machine, and retries it from there', async () => {
    const id = (await Doomed.dispatch()) as unknown as string;
    const worker = new Worker(app);
    const running = worker.run();
    await until(async () => (await driver.failedJobs.find(id)) !== undefined);
    await worker.stop();
    await running;
    expect(Doomed.failures).toEqual(['RangeError: always']);

    // Another process with the same Redis and prefix sees the same failure.
    const other = new Redis(REDIS);
    try {
      const elsewhere = new RedisFailedJobStore(other, prefix);
      const [record] = await elsewhere.list();
      expect(record).toMatchObject({ id, queue: 'default' });
      expect(record.exception).toMatch(/RangeError: always/);
    } finally {
      other.disconnect();
    }

    await queueManager(app).failedJobs().retry(id);
    expect(await driver.failedJobs.list()).toEqual([]);
    expect(await queueManager(app).size()).toBe(1);
  });

  it('refuses bad options with a clear error', () => {
    expect(() => new BullMQDriver({ connection: REDIS, prefix: '' })).toThrow(/prefix must be a non-empty string/);
    expect(() => new BullMQDriver({ connection: REDIS, lockDurationMs: -1 })).toThrow(/lockDurationMs must be ms > 0/);
    expect(() => new BullMQDriver(undefined as never)).toThrow(/connection must be Redis connection options/);
  });
});

async function until(test: () => boolean | Promise<boolean>, waitMs = 5000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
