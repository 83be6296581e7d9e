import { Dispatcher, Job, ShouldQueue, type ChainCatchJob, type ChainFailure } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { BullMQDriver, RedisFailedJobStore } from '@epilogue/bullmq';
import {
  configureQueues,
  queueManager,
  QueuedJob,
  ShouldBeUnique,
  WithoutOverlapping,
  Worker,
  type QueuedJobOptions,
} from '@epilogue/queue';
import { Redis } from 'ioredis';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';
import { waitFor } from '@epilogue-internal/test-support/waits';

// Waits for `test`, named by its source in the failure.
const until = (test: () => boolean | Promise<boolean>, ms = 5000) => waitFor(String(test), test, ms);

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

let overlapping = 0;
let mostOverlapping = 0;

@ShouldQueue()
class ChargeAccount extends QueuedJob implements QueuedJobOptions {
  tries = 0;
  constructor(public n: number) {
    super();
  }
  middleware() {
    return [new WithoutOverlapping('account-7').releaseAfter(0.01).expireAfter(10)];
  }
  async handle() {
    mostOverlapping = Math.max(mostOverlapping, ++overlapping);
    await new Promise((resolve) => setTimeout(resolve, 10));
    overlapping--;
    ran.push(`charge ${this.n}`);
  }
}

@ShouldQueue()
@ShouldBeUnique()
class RebuildSearch extends QueuedJob {
  uniqueId = 'catalog';
  uniqueFor = 60;
  handle() {
    ran.push('rebuild');
  }
}

@ShouldQueue()
class Step extends QueuedJob {
  constructor(
    public label: string,
    public breaks = false,
  ) {
    super();
  }
  handle() {
    ran.push(this.label);
    if (this.breaks) throw new Error(`${this.label} broke`);
  }
}

@ShouldQueue()
class Expands extends QueuedJob {
  handle() {
    ran.push('expands');
    this.appendToChain(new Step('appended'));
    this.prependToChain(new Step('prepended'));
  }
}

@ShouldQueue()
class ReportChainFailure extends Job implements ChainCatchJob {
  chainFailure?: ChainFailure;
  handle() {
    ran.push(`caught ${this.chainFailure?.job}: ${this.chainFailure?.error.message}`);
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
    expect(summary).toEqual({ reason: 'empty', jobs: 1, stopTimedOut: false });
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

  describe('two machines: two applications, two drivers, one Redis prefix', () => {
    let otherApp: Application;
    let otherDriver: BullMQDriver;
    beforeEach(() => {
      otherApp = new Application({ report: (error) => errors.push(error) });
      otherDriver = new BullMQDriver({ connection: REDIS, prefix });
      configureQueues(otherApp, { default: 'redis', connections: { redis: otherDriver } });
      overlapping = 0;
      mostOverlapping = 0;
    });
    afterEach(() => otherDriver.close());

    it('WithoutOverlapping holds across machines: jobs with one key never run at once', async () => {
      await Promise.all(Array.from({ length: 8 }, (_, n) => ChargeAccount.dispatch(n)));
      const here = new Worker(app, { concurrency: 4 });
      const there = new Worker(otherApp, { concurrency: 4 });
      const running = [here.run(), there.run()];
      await until(() => ran.length === 8, 10_000);
      await Promise.all([here.stop(), there.stop()]);
      await Promise.all(running);
      expect(mostOverlapping).toBe(1);
      expect([...ran].sort()).toEqual(Array.from({ length: 8 }, (_, n) => `charge ${n}`).sort());
    });

    it('a unique job dispatched on one machine is skipped on the other until it ran', async () => {
      expect(typeof (await RebuildSearch.dispatch())).toBe('string');
      const skipped = await otherApp.container.resolve(Dispatcher).dispatch(new RebuildSearch());
      expect(skipped).toBeNull();
      expect(await queueManager(app).size()).toBe(1);
      await new Worker(otherApp, { stopWhenEmpty: true }).run();
      expect(ran).toEqual(['rebuild']);
      expect(typeof (await otherApp.container.resolve(Dispatcher).dispatch(new RebuildSearch()))).toBe('string');
    });
  });

  it('runs a chain in order across two workers, and its catch job once when a link fails for good', async () => {
    const bus = app.container.resolve(Dispatcher);
    await bus.chain([new Step('a'), new Step('b'), new Step('c')]).dispatch();
    await bus
      .chain([new Step('x'), new Step('y', true), new Step('z')])
      .catch(new ReportChainFailure())
      .onQueue('other')
      .dispatch();
    const workers = [new Worker(app, { queues: ['default', 'other'] }), new Worker(app, { queues: ['other', 'default'] })];
    const running = workers.map((worker) => worker.run());
    await until(() => ran.length === 6);
    await Promise.all(workers.map((worker) => worker.stop()));
    await Promise.all(running);
    expect(ran.filter((label) => 'abc'.includes(label))).toEqual(['a', 'b', 'c']);
    expect(ran.filter((label) => !'abc'.includes(label))).toEqual(['x', 'y', 'caught Step: y broke']);
    expect((await driver.failedJobs.list()).length).toBe(1);
  });

  it('carries the jobs a running job adds to its chain through Redis', async () => {
    await app.container.resolve(Dispatcher).chain([new Expands(), new Step('b')]).dispatch();
    await new Worker(app, { stopWhenEmpty: true }).run();
    expect(ran).toEqual(['expands', 'prepended', 'b', 'appended']);
  });

  it('sends poison payloads to the failed store in Redis and keeps working', async () => {
    const poison = [
      '\u0000\u00ff not json',
      '{"v":1,"id":"x","job":"Nope","displayName":"Nope","data":{}}',
      '{"v":1,"__proto__":{"polluted":true}}',
      JSON.stringify({ v: 99 }),
      '[]',
    ];
    for (const [n, body] of poison.entries()) await driver.push(body, { queue: 'default', id: `poison-${n}` });
    await Greet.dispatch('after the poison', new Date(0));
    const summary = await new Worker(app, { stopWhenEmpty: true }).run();
    expect(summary.jobs).toBe(poison.length + 1);
    expect(ran).toEqual(['after the poison 1970-01-01T00:00:00.000Z']);
    const failed = await driver.failedJobs.list();
    expect(failed.map((record) => record.id).sort()).toEqual(poison.map((_, n) => `poison-${n}`));
    for (const record of failed) expect(record.exception).toMatch(/E_(INVALID_PAYLOAD|PAYLOAD|JOB_NOT_REGISTERED)/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses bad options with a clear error', () => {
    expect(() => new BullMQDriver({ connection: REDIS, prefix: '' })).toThrow(/prefix must be a non-empty string/);
    expect(() => new BullMQDriver({ connection: REDIS, lockDurationMs: -1 })).toThrow(/lockDurationMs must be ms > 0/);
    expect(() => new BullMQDriver(undefined as never)).toThrow(/connection must be Redis connection options/);
    expect(() => new BullMQDriver({ connection: REDIS, keepCompleted: 1.5 })).toThrow(/keepCompleted must be a whole number/);
  });
});
