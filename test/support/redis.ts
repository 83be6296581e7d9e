import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use: the local one, never anything else. */
export const REDIS = { host: '127.0.0.1', port: 6379 } as const;

/**
 * A key prefix no other test run uses, so that runs (and test files) never see each other's
 * queues: `epilogue-test:<name>:<pid>:<random>`.
 */
export function uniquePrefix(name: string): string {
  return `epilogue-test:${name}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * `describe` for tests that need the local Redis. When Redis does not answer, they fail with a
 * message that says how to start it; they are skipped (with a warning) only outside CI, so that
 * `npm test` works on a machine without Redis while CI (CI=true) can never pass without it.
 */
export const describeWithRedis: jest.Describe = ((name: string, fn: () => void) => {
  if (process.env.EPILOGUE_REDIS !== 'down' || process.env.CI === 'true') {
    describe(name, () => {
      beforeAll(assertRedis);
      fn();
    });
    return;
  }
  describe.skip(`${name} (skipped: no Redis on 127.0.0.1:6379; CI=true makes this a failure)`, fn);
}) as jest.Describe;

async function assertRedis(): Promise<void> {
  const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new RedisUnavailableError(
      `These tests need Redis on 127.0.0.1:6379 and it does not answer (${String(error)}). Start it with ` +
        '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`.',
      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
}

class RedisUnavailableError extends Error {
  readonly code = 'E_TEST_REDIS_UNAVAILABLE';
}

/**
 * Clients and key prefixes for the tests of one `describe`, cleaned up after them all: every
 * key under the prefixes deleted, every client disconnected. Call it inside the `describe`.
 *
 * @param name - What the prefixes are for: `epilogue-test:<name>:...`.
 */
export function redisFixtures(name: string): { client: () => Redis; prefix: () => string } {
  const clients: Redis[] = [];
  const prefixes: string[] = [];
  afterAll(async () => {
    await Promise.all(prefixes.map(deleteKeys));
    for (const redis of clients) redis.disconnect();
  });
  return {
    client: () => {
      const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 1 });
      clients.push(redis);
      return redis;
    },
    prefix: () => {
      const made = uniquePrefix(name);
      prefixes.push(made);
      return made;
    },
  };
}
