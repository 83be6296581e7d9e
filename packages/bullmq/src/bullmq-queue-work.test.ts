import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { BullMQDriver } from '@epilogue/bullmq';
import { configureQueues, QueuedJob, type QueuedJobOptions } from '@epilogue/queue';
import { runCli } from '@epilogue/queue/cli';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { useApp } from '../../queue/src/cli/fixtures/current-app.js';
import { fixture, jsonLinesOf, testIo, until } from '../../queue/src/cli/fixtures/test-io.js';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

const APP = fixture('current-app.ts');
const ran: string[] = [];
let gate: { opened: Promise<void>; open: () => void };

@ShouldQueue()
class Resize extends QueuedJob {
  constructor(public image: string) {
    super();
  }
  async handle() {
    await this.progress(40);
    ran.push(`${this.image} at 40`);
    await gate.opened;
    await this.progress(100);
  }
}

@ShouldQueue()
class Greet extends Job {
  constructor(public who: string) {
    super();
  }
  handle() {
    ran.push(this.who);
  }
}

/** Throws on its first attempt; its backoff is the worker's. */
@ShouldQueue()
class FailsOnce extends QueuedJob implements QueuedJobOptions {
  tries = 2;
  handle() {
    ran.push(`attempt ${this.attempts()}`);
    if (this.attempts() === 1) throw new Error('first attempt');
  }
}

describeWithRedis('epilogue queue:work on BullMQDriver (local Redis)', () => {
  let prefix: string;
  let driver: BullMQDriver;

  beforeEach(() => {
    ran.length = 0;
    let open!: () => void;
    gate = { opened: new Promise<void>((resolve) => (open = resolve)), open };
    prefix = uniquePrefix('queue-work');
    const app = new Application({ report: () => undefined });
    // The default block timeout, so that only --sleep can make the idle waits short.
    driver = new BullMQDriver({ connection: REDIS, prefix });
    configureQueues(app, { default: 'redis', connections: { redis: driver } });
    useApp(app);
  });

  afterEach(async () => {
    await driver.close();
    await deleteKeys(prefix);
  });

  const work = (args: string[], io = testIo()) => runCli(['queue:work', '--app', APP, ...args], io.io);

  it("stores a job's progress on its BullMQ job, and prints it", async () => {
    const id = String(await Resize.dispatch('cat.png'));
    const io = testIo();
    const exit = work(['--stop-when-empty', '--json'], io);
    await until(() => ran.includes('cat.png at 40'));

    const queue = new Queue('default', { connection: REDIS, prefix });
    try {
      expect((await queue.getJob(id))?.progress).toBe(40);
      gate.open();
      await expect(exit).resolves.toBe(0);
    } finally {
      await queue.close();
    }
    const progress = jsonLinesOf(io.out).filter((line) => line.event === 'progress');
    expect(progress.map((line) => [line.id, line.percent])).toEqual([
      [id, 40],
      [id, 100],
    ]);
  });

  it('says where jobs wait that it does not take, at start and when it stops for empty queues', async () => {
    for (const image of ['a.png', 'b.png', 'c.png']) await Greet.dispatch(image).onQueue('images');
    const io = testIo();

    await expect(work(['--stop-when-empty', '--json'], io)).resolves.toBe(0);

    const unserved = { event: 'unserved', queues: [{ queue: 'images', ready: 3, delayed: 0 }] };
    expect(jsonLinesOf(io.out)).toEqual([
      { event: 'started', connection: 'redis', queues: ['default'] },
      unserved,
      unserved,
      { event: 'stopped', reason: 'empty', jobs: 0 },
    ]);
    expect(ran).toEqual([]);
  });

  it('with --stop-when-empty waits out the --backoff of a released job', async () => {
    await FailsOnce.dispatch();
    const io = testIo();
    const started = Date.now();

    await expect(work(['--stop-when-empty', '--backoff', '0.3', '--json'], io)).resolves.toBe(0);

    expect(ran).toEqual(['attempt 1', 'attempt 2']);
    expect(Date.now() - started).toBeLessThan(3000);
    const outcomes = jsonLinesOf(io.out)
      .filter((line) => line.event === 'processed')
      .map((line) => [line.outcome, line.delayMs]);
    expect(outcomes).toEqual([
      ['retrying', 300],
      ['done', undefined],
    ]);
    expect(jsonLinesOf(io.out).at(-1)).toEqual({ event: 'stopped', reason: 'empty', jobs: 2 });
  });

  it('looks for jobs again after --sleep seconds when it missed the wake-up of a push', async () => {
    // Another connection blocked on the queue's marker key before the worker takes the marker
    // the push adds: the worker learns of the job only when its own wait ends.
    const thief = new Redis({ ...REDIS, maxRetriesPerRequest: null });
    const admin = new Redis({ ...REDIS, maxRetriesPerRequest: null });
    try {
      await thief.client('SETNAME', `thief-${process.pid}`);
      const stolen = thief.bzpopmin(`${prefix}:default:marker`, 10);
      const blocked = async () => String(await admin.client('LIST')).includes(`name=thief-${process.pid} `);
      while (!(await blocked()) || !String(await admin.client('LIST')).match(new RegExp(`name=thief-${process.pid} .*cmd=bzpopmin`))) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const io = testIo();
      const exit = work(['--max-jobs', '1', '--sleep', '0.2', '--json'], io);
      await until(() => io.out.includes('"event":"started"'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const pushed = Date.now();
      await Greet.dispatch('late');
      expect(await stolen).not.toBeNull();

      await expect(exit).resolves.toBe(0);
      // The driver's own wait is 5 s.
      expect(Date.now() - pushed).toBeLessThan(1500);
      expect(ran).toEqual(['late']);
    } finally {
      thief.disconnect();
      admin.disconnect();
    }
  });
});
