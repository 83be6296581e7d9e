import type { AtomicStore, CounterState } from '@epilogue/queue/driver';
import type { Redis } from 'ioredis';

// Each script runs atomically in Redis: no other client's command runs between its steps.
const SCRIPTS = {
  // Deletes the lock only when the caller still owns it: a lock that expired and was taken by
  // another owner is left alone.
  epilogueAtomicRelease: `
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0`,
  // Counts a hit; the first hit of a window (a key without expiry) sets the window's end.
  epilogueAtomicHit: `
    local count = redis.call('INCR', KEYS[1])
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 0 then
      redis.call('PEXPIRE', KEYS[1], ARGV[1])
      ttl = tonumber(ARGV[1])
    end
    return { count, ttl }`,
  // Reads a counter and the time left in its window together.
  epilogueAtomicPeek: `
    local count = redis.call('GET', KEYS[1])
    if not count then return { 0, 0 } end
    return { tonumber(count), math.max(redis.call('PTTL', KEYS[1]), 0) }`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Scripted = { [S in ScriptName]: (key: string, ...args: (string | number)[]) => Promise<unknown> };

/**
 * Locks and counters in Redis, shared by every process that uses the same Redis and prefix: the
 * store that makes job middleware and unique jobs hold across machines. Locks are keys set with
 * `SET NX PX` and freed by a script that checks the owner; counters are `INCR` keys whose first
 * hit sets their expiry, in a script. Keys are `<prefix>::atomics:<key>`; a queue name cannot
 * contain `:`, so no BullMQ key can clash.
 *
 * @example
 * const redis = new Redis();
 * configureQueues(app, { default: 'redis', connections: { redis: new BullMQDriver({ connection: redis }) } });
 * // the driver's `atomics` is a RedisAtomicStore; on its own:
 * const store = new RedisAtomicStore(redis, 'epilogue');
 * await store.acquire('report', 'worker-1', 60_000);
 */
export class RedisAtomicStore implements AtomicStore {
  readonly #redis: Redis & Scripted;
  readonly #prefix: string;

  /**
   * @param redis - The client to use; the store defines its scripts on it and does not close it.
   * @param prefix - The key prefix, as the driver's (`epilogue`).
   */
  constructor(redis: Redis, prefix: string) {
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      // defineCommand runs scripts by their SHA and loads them again after a Redis restart.
      if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') {
        redis.defineCommand(name, { numberOfKeys: 1, lua });
      }
    }
    this.#redis = redis as Redis & Scripted;
    this.#prefix = `${prefix}::atomics:`;
  }

  async acquire(key: string, owner: string, ttlMs?: number): Promise<boolean> {
    const full = this.#prefix + key;
    const set =
      ttlMs === undefined
        ? await this.#redis.set(full, owner, 'NX')
        : await this.#redis.set(full, owner, 'PX', wholeMs(ttlMs), 'NX');
    return set === 'OK';
  }

  async release(key: string, owner: string): Promise<boolean> {
    return (await this.#redis.epilogueAtomicRelease(this.#prefix + key, owner)) === 1;
  }

  async owner(key: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#prefix + key)) ?? undefined;
  }

  async hit(key: string, decayMs: number): Promise<CounterState> {
    return counter(await this.#redis.epilogueAtomicHit(this.#prefix + key, wholeMs(decayMs)));
  }

  async peek(key: string): Promise<CounterState> {
    return counter(await this.#redis.epilogueAtomicPeek(this.#prefix + key));
  }

  async clear(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }
}

// Redis takes whole milliseconds, and at least one: 0 would mean no expiry (or an error).
function wholeMs(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

function counter(reply: unknown): CounterState {
  const [count, resetInMs] = reply as [number, number];
  return { count, resetInMs };
}
