import type { AtomicStore } from '@epilogue/queue';
import { describeAtomicStore } from '@epilogue/queue/testing';
import { RedisAtomicStore } from '@epilogue/bullmq';
import { describeWithRedis, redisFixtures } from '@epilogue-internal/test-support/redis';

describeWithRedis('RedisAtomicStore on the local Redis', () => {
  const { client, prefix } = redisFixtures('atomics');

  describeAtomicStore('RedisAtomicStore', () => new RedisAtomicStore(client(), prefix()));

  describe('across machines', () => {
    let first: AtomicStore;
    let second: AtomicStore;
    beforeEach(() => {
      const shared = prefix();
      first = new RedisAtomicStore(client(), shared);
      second = new RedisAtomicStore(client(), shared);
    });

    it('two stores on two clients see the same lock, and only its owner frees it', async () => {
      expect(await first.acquire('nightly-report', 'machine-a', 10_000)).toBe(true);
      expect(await second.acquire('nightly-report', 'machine-b', 10_000)).toBe(false);
      expect(await second.owner('nightly-report')).toBe('machine-a');
      expect(await second.release('nightly-report', 'machine-b')).toBe(false);
      expect(await first.release('nightly-report', 'machine-a')).toBe(true);
      expect(await second.acquire('nightly-report', 'machine-b', 10_000)).toBe(true);
    });

    it('two stores on two clients add to the same counter, concurrently, without losing a hit', async () => {
      const hits = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? first : second).hit('api-calls', 10_000)),
      );
      expect(hits.map((state) => state.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await first.peek('api-calls')).count).toBe(20);
    });

    it('two stores with different prefixes do not see each other', async () => {
      const other = new RedisAtomicStore(client(), prefix());
      await first.acquire('lock', 'a');
      await first.hit('counter', 10_000);
      expect(await other.acquire('lock', 'b', 10_000)).toBe(true);
      expect((await other.peek('counter')).count).toBe(0);
    });
  });

  it('keeps its keys under <prefix>::atomics:', async () => {
    const redis = client();
    const own = prefix();
    await new RedisAtomicStore(redis, own).acquire('lock', 'owner', 10_000);
    expect(await redis.get(`${own}::atomics:lock`)).toBe('owner');
  });

  it('shares one client with another store without redefining its scripts', async () => {
    const redis = client();
    const own = prefix();
    const a = new RedisAtomicStore(redis, own);
    const b = new RedisAtomicStore(redis, own);
    expect((await a.hit('counter', 10_000)).count).toBe(1);
    expect((await b.hit('counter', 10_000)).count).toBe(2);
  });
});
