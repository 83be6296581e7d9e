import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Consumer, DeliveryHandler } from '@epilogue/queue/driver';
import { describeQueueDriver } from '@epilogue/queue/testing';
import { Queue } from 'bullmq';
import { BullMQDriver } from '@epilogue/bullmq';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';
import { tick, waitFor } from '@epilogue-internal/test-support/waits';

// Waits for `test`, named by its source in the failure.
const until = (test: () => boolean | Promise<boolean>, ms = 5000) => waitFor(String(test), test, ms);

// scripts/bullmq-range.mjs runs these tests on the ends of the peer range; the rest of the time
// they run on the workspace's devDependency.
test('runs on the BullMQ it was given', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { devDependencies: { bullmq: string } };
  const { version } = JSON.parse(readFileSync(require.resolve('bullmq/package.json'), 'utf8')) as { version: string };
  expect(version).toBe(process.env.EPILOGUE_BULLMQ_VERSION ?? manifest.devDependencies.bullmq);
});

describeWithRedis('BullMQDriver on the local Redis', () => {
  const prefixes: string[] = [];
  afterAll(async () => {
    await Promise.all(prefixes.map(deleteKeys));
  });

  describeQueueDriver(
    'BullMQDriver',
    () => {
      const prefix = uniquePrefix('driver');
      prefixes.push(prefix);
      return new BullMQDriver({ connection: REDIS, prefix, blockTimeoutMs: 1000 });
    },
    { runsOnPush: false },
  );
});

describeWithRedis('BullMQDriver timing and foreign jobs (local Redis)', () => {
  let prefix: string;
  let driver: BullMQDriver;
  const consumers: Consumer[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('timing');
    // The default block timeout: nothing below may rely on a short one.
    driver = new BullMQDriver({ connection: REDIS, prefix });
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await driver.close();
    await deleteKeys(prefix);
  });

  const consume = (handler: DeliveryHandler, concurrency = 1) => {
    const consumer = driver.consume(['default'], handler, { concurrency });
    consumers.push(consumer);
    return consumer;
  };

  it('delivers each of several delayed jobs on time to an idle consumer', async () => {
    const at = new Map<string, number>();
    consume(async (delivery) => {
      at.set(delivery.id, Date.now());
      return { type: 'complete' };
    });
    await tick(50);
    const pushed = Date.now();
    await driver.push('x', { queue: 'default', id: 'x', delayMs: 200 });
    await driver.push('y', { queue: 'default', id: 'y', delayMs: 700 });
    await until(() => at.has('y'), 3000);
    expect(at.get('x')! - pushed).toBeGreaterThanOrEqual(190);
    expect(at.get('y')! - pushed).toBeGreaterThanOrEqual(690);
    expect(at.get('y')! - pushed).toBeLessThan(1200);
  });

  it('wakes an idle consumer for a new job while another consumer is busy', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const busy: string[] = [];
    const idle: string[] = [];
    consume(async (delivery) => {
      busy.push(delivery.id);
      await gate;
      return { type: 'complete' };
    }, 1);
    await driver.push('long', { queue: 'default', id: 'long' });
    await until(() => busy.length === 1, 3000);
    consume(async (delivery) => {
      idle.push(delivery.id);
      return { type: 'complete' };
    });
    await tick(50);
    const pushed = Date.now();
    await driver.push('next', { queue: 'default', id: 'next' });
    await until(() => idle.includes('next'), 3000);
    expect(Date.now() - pushed).toBeLessThan(1000);
    release();
  });

  it('fails a job another producer added without a payload, instead of holding it', async () => {
    const bodies: string[] = [];
    consume(async (delivery) => {
      bodies.push(delivery.body);
      return { type: 'fail', error: new TypeError('not a payload') };
    });
    const queue = new Queue('default', { connection: REDIS, prefix });
    try {
      await queue.add('foreign', null as never, { jobId: 'foreign' });
    } finally {
      await queue.close();
    }
    await until(async () => (await driver.failedJobs.find('foreign')) !== undefined, 3000);
    expect(bodies).toEqual(['null']);
    expect(await driver.size('default')).toBe(0);
  });
});
