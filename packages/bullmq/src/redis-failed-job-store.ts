import type { FailedJobRecord, FailedJobStore } from '@epilogue/queue';
import type { Redis } from 'ioredis';
import { checkTransaction } from './redis-transaction.js';

/**
 * A failed store in Redis, shared by every machine that uses the same Redis and prefix: a hash
 * of records by id, and a sorted set of ids by time of failure. The keys are `<prefix>::failed`
 * and `<prefix>::failed-order`; a queue name cannot contain `:`, so no BullMQ key can clash.
 *
 * @example
 * const store = new RedisFailedJobStore(new Redis(), 'epilogue');
 * for (const record of await store.list()) console.log(record.id, record.exception);
 */
export class RedisFailedJobStore implements FailedJobStore {
  readonly #redis: Redis;
  readonly #records: string;
  readonly #order: string;

  /**
   * @param redis - The client to use; the store does not close it.
   * @param prefix - The key prefix.
   */
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#records = `${prefix}::failed`;
    this.#order = `${prefix}::failed-order`;
  }

  async log(record: FailedJobRecord): Promise<void> {
    const { id, queue, payload, exception, failedAt } = record;
    await this.#redis
      .multi()
      .hset(this.#records, id, JSON.stringify({ id, queue, payload, exception, failedAt }))
      .zadd(this.#order, failedAt, id)
      .exec()
      .then(checkTransaction);
  }

  async list(): Promise<FailedJobRecord[]> {
    const ids = await this.#redis.zrange(this.#order, 0, -1);
    if (ids.length === 0) return [];
    const texts = await this.#redis.hmget(this.#records, ...ids);
    return texts.flatMap((text) => (text === null ? [] : [parseRecord(text)]));
  }

  async find(id: string): Promise<FailedJobRecord | undefined> {
    const text = await this.#redis.hget(this.#records, id);
    return text === null ? undefined : parseRecord(text);
  }

  async forget(id: string): Promise<boolean> {
    const [removed] = checkTransaction(await this.#redis.multi().hdel(this.#records, id).zrem(this.#order, id).exec());
    return removed === 1;
  }

  async flush(): Promise<number> {
    const [count] = checkTransaction(await this.#redis.multi().hlen(this.#records).del(this.#records, this.#order).exec());
    return count as number;
  }
}

function parseRecord(text: string): FailedJobRecord {
  return JSON.parse(text) as FailedJobRecord;
}
