import { Dispatcher, type BatchStore } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { BullMQDriver, RedisBatchStore } from '@epilogue/bullmq';
import { configureQueues } from '@epilogue/queue';
import { describeBatchStore } from '@epilogue/queue/testing';
import { describeWithRedis, REDIS, redisFixtures } from '@epilogue-internal/test-support/redis';

describeWithRedis('RedisBatchStore on the local Redis', () => {
  const { client, prefix } = redisFixtures('batches');

  describeBatchStore('RedisBatchStore', () => new RedisBatchStore(client(), prefix()));

  describe('across processes and clients', () => {
    let first: BatchStore;
    let second: BatchStore;
    beforeEach(() => {
      const shared = prefix();
      first = new RedisBatchStore(client(), shared);
      second = new RedisBatchStore(client(), shared);
    });

    it('two stores on two clients see the same batch and count its jobs together: one sees the last go', async () => {
      const { id } = await first.create({ name: 'shared', options: { queued: true } });
      await second.incrementTotalJobs(id, 20);
      const counts = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? first : second).decrementPendingJobs(id, `j${i}`)),
      );
      expect(counts.filter((count) => count?.pendingJobs === 0)).toHaveLength(1);
      expect(await first.find(id)).toMatchObject({ name: 'shared', totalJobs: 20, pendingJobs: 0 });
      expect((await second.list()).map((batch) => batch.id)).toEqual([id]);
    });

    it('two stores with different prefixes do not see each other', async () => {
      const { id } = await first.create({ name: '', options: {} });
      const other = new RedisBatchStore(client(), prefix());
      expect(await other.find(id)).toBeUndefined();
      expect(await other.list()).toEqual([]);
    });
  });

  it('keeps a batch under <prefix>::batches:<id>, with its failed ids beside it', async () => {
    const redis = client();
    const own = prefix();
    const store = new RedisBatchStore(redis, own);
    const { id } = await store.create({ name: 'keys', options: {} });
    await store.incrementTotalJobs(id, 1);
    await store.incrementFailedJobs(id, 'job-1');
    expect(await redis.hget(`${own}::batches:${id}`, 'name')).toBe('keys');
    expect(await redis.smembers(`${own}::batches:${id}:failed`)).toEqual(['job-1']);
    await store.delete(id);
    expect(await redis.keys(`${own}::batches:${id}*`)).toEqual([]);
    expect(await redis.zcard(`${own}::batches`)).toBe(0);
  });

  it('prunes more batches than one step deletes', async () => {
    const store = new RedisBatchStore(client(), prefix());
    for (let i = 0; i < 600; i++) {
      const { id } = await store.create({ name: '', options: {} });
      await store.markAsFinished(id);
    }
    expect(await store.prune(Date.now() + 1000)).toBe(600);
    expect(await store.list()).toEqual([]);
  });

  it('reads times from the clock it was given', async () => {
    let now = 5_000;
    const store = new RedisBatchStore(client(), prefix(), { now: () => now });
    const { id, createdAt } = await store.create({ name: '', options: {} });
    expect(createdAt).toBe(5_000);
    now = 6_000;
    await store.cancel(id);
    expect(await store.find(id)).toMatchObject({ createdAt: 5_000, cancelledAt: 6_000, finishedAt: 6_000 });
  });

  it('is the store of an application whose default connection is a BullMQ driver', async () => {
    const app = new Application();
    const driver = new BullMQDriver({ connection: REDIS, prefix: prefix() });
    try {
      configureQueues(app, { default: 'redis', connections: { redis: driver } });
      const bus = app.make(Dispatcher);
      expect(bus.batches.store).toBe(driver.batches);
      expect(driver.batches).toBeInstanceOf(RedisBatchStore);
    } finally {
      await driver.close();
    }
  });
});
