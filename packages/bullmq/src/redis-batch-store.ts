import { randomUUID } from 'node:crypto';
import type { BatchJobCounts, BatchListOptions, BatchRecord, BatchStore, NewBatchRecord } from '@epilogue/bus';
import type { Redis } from 'ioredis';
import { checkTransaction } from './redis-transaction.js';

// Each script runs atomically in Redis: no other client's command runs between its steps, so
// every counter change returns the counters exactly as it left them. KEYS[1] is the batch's
// hash, KEYS[2] its set of failed job ids. Times are '' while unset.
const SCRIPTS = {
  // ARGV: the index key (newest first, by sequence), the unfinished index, the sequence key,
  // id, name, options, createdAt.
  epilogueBatchCreate: {
    keys: 1,
    lua: `
      local seq = redis.call('INCR', ARGV[3])
      redis.call('HSET', KEYS[1], 'name', ARGV[5], 'options', ARGV[6], 'createdAt', ARGV[7],
        'totalJobs', 0, 'pendingJobs', 0, 'failedJobs', 0, 'cancelledAt', '', 'finishedAt', '')
      redis.call('ZADD', ARGV[1], seq, ARGV[4])
      redis.call('ZADD', ARGV[2], ARGV[7], ARGV[4])
      return seq`,
  },
  // ARGV: count.
  epilogueBatchAddJobs: {
    keys: 1,
    lua: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      redis.call('HINCRBY', KEYS[1], 'totalJobs', ARGV[1])
      redis.call('HINCRBY', KEYS[1], 'pendingJobs', ARGV[1])
      return 1`,
  },
  // ARGV: the job's id. A success takes it off the failed ids (it was retried).
  epilogueBatchJobSucceeded: {
    keys: 2,
    lua: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return false end
      local pending = redis.call('HINCRBY', KEYS[1], 'pendingJobs', -1)
      redis.call('SREM', KEYS[2], ARGV[1])
      return { pending, tonumber(redis.call('HGET', KEYS[1], 'failedJobs')) }`,
  },
  // ARGV: the job's id.
  epilogueBatchJobFailed: {
    keys: 2,
    lua: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return false end
      local failed = redis.call('HINCRBY', KEYS[1], 'failedJobs', 1)
      redis.call('SADD', KEYS[2], ARGV[1])
      return { tonumber(redis.call('HGET', KEYS[1], 'pendingJobs')), failed }`,
  },
  // ARGV: the finished index, the unfinished index, id, now, '1' to cancel too, the cancelled index.
  epilogueBatchFinish: {
    keys: 1,
    lua: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      if ARGV[5] == '1' and redis.call('HGET', KEYS[1], 'cancelledAt') == '' then
        redis.call('HSET', KEYS[1], 'cancelledAt', ARGV[4])
        redis.call('ZADD', ARGV[6], redis.call('HGET', KEYS[1], 'createdAt'), ARGV[3])
      end
      if redis.call('HGET', KEYS[1], 'finishedAt') == '' then
        redis.call('HSET', KEYS[1], 'finishedAt', ARGV[4])
        redis.call('ZADD', ARGV[1], ARGV[4], ARGV[3])
        redis.call('ZREM', ARGV[2], ARGV[3])
      end
      return 1`,
  },
  // ARGV: the four indexes (all, unfinished, finished, cancelled), the batch key prefix, the
  // time before which to delete, how many at most, then the indexes to delete from, each
  // scored by the time to compare. Returns how many it deleted.
  epilogueBatchPrune: {
    keys: 0,
    lua: `
      local deleted = 0
      local limit = tonumber(ARGV[7])
      for i = 8, #ARGV do
        if deleted >= limit then break end
        local ids = redis.call('ZRANGEBYSCORE', ARGV[i], '-inf', '(' .. ARGV[6], 'LIMIT', 0, limit - deleted)
        for _, id in ipairs(ids) do
          redis.call('DEL', ARGV[5] .. id, ARGV[5] .. id .. ':failed')
          for j = 1, 4 do redis.call('ZREM', ARGV[j], id) end
          deleted = deleted + 1
        end
      end
      return deleted`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Scripted = { [S in ScriptName]: (...args: (string | number)[]) => Promise<unknown> };

/** How many batches one prune script deletes before it lets other clients in. */
const PRUNE_STEP = 500;

/** Options of a `RedisBatchStore`. */
export interface RedisBatchStoreOptions {
  /** Where times come from, in milliseconds since the epoch. Default: `Date.now`. */
  readonly now?: () => number;
}

/**
 * Batches in Redis, shared by every process that uses the same Redis and prefix: the store that
 * lets workers on several machines count the jobs of one batch, and any process find a batch by
 * id. Each counter change is a script, atomic in Redis, that returns the counters as it left
 * them, so that exactly one worker sees the last pending job go (and runs `onSuccess` and
 * `finally`) however many finish at once.
 *
 * Keys: `<prefix>::batches:<id>` (a hash) and `<prefix>::batches:<id>:failed` (a set of job
 * ids) per batch, and four sorted sets that index them: `<prefix>::batches` (creation order),
 * `<prefix>::batches-unfinished` (by creation time), `<prefix>::batches-finished` (by finish
 * time) and `<prefix>::batches-cancelled` (by creation time), for listing and pruning. A queue name cannot contain `:`, so no BullMQ key can clash.
 * Batches stay until they are deleted or pruned (`queue:prune-batches`).
 *
 * @example
 * // A BullMQ default connection brings one under its prefix; to set one yourself:
 * configureQueues(app, {
 *   default: 'redis',
 *   connections: { redis: new BullMQDriver({ connection: redis }) },
 *   batches: new RedisBatchStore(redis, 'epilogue'),
 * });
 */
export class RedisBatchStore implements BatchStore {
  readonly #redis: Redis & Scripted;
  readonly #batch: string;
  readonly #index: string;
  readonly #unfinished: string;
  readonly #finished: string;
  readonly #cancelled: string;
  readonly #sequence: string;
  readonly #now: () => number;

  /**
   * @param redis - The client to use; the store defines its scripts on it and does not close it.
   * @param prefix - The key prefix, as the driver's (`epilogue`).
   * @param options - The clock.
   */
  constructor(redis: Redis, prefix: string, options: RedisBatchStoreOptions = {}) {
    for (const [name, { keys, lua }] of Object.entries(SCRIPTS)) {
      // defineCommand runs scripts by their SHA and loads them again after a Redis restart.
      if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') {
        redis.defineCommand(name, { numberOfKeys: keys, lua });
      }
    }
    this.#redis = redis as Redis & Scripted;
    this.#batch = `${prefix}::batches:`;
    this.#index = `${prefix}::batches`;
    this.#unfinished = `${prefix}::batches-unfinished`;
    this.#finished = `${prefix}::batches-finished`;
    this.#cancelled = `${prefix}::batches-cancelled`;
    this.#sequence = `${prefix}::batches-sequence`;
    this.#now = options.now ?? Date.now;
  }

  async create(batch: NewBatchRecord): Promise<BatchRecord> {
    const id = randomUUID();
    const createdAt = this.#now();
    const options = JSON.stringify(batch.options);
    await this.#redis.epilogueBatchCreate(
      this.#batch + id,
      ...[this.#index, this.#unfinished, this.#sequence, id, batch.name, options, createdAt],
    );
    return {
      id,
      name: batch.name,
      totalJobs: 0,
      pendingJobs: 0,
      failedJobs: 0,
      failedJobIds: [],
      options: JSON.parse(options) as Record<string, unknown>,
      createdAt,
      cancelledAt: null,
      finishedAt: null,
    };
  }

  async find(id: string): Promise<BatchRecord | undefined> {
    return (await this.#read([id]))[0];
  }

  async list(options: BatchListOptions = {}): Promise<BatchRecord[]> {
    const limit = options.limit ?? 50;
    let start = 0;
    if (options.after !== undefined) {
      const rank = await this.#redis.zrevrank(this.#index, options.after);
      if (rank === null) return [];
      start = rank + 1;
    }
    if (limit <= 0) return [];
    return this.#read(await this.#redis.zrevrange(this.#index, start, start + limit - 1));
  }

  async incrementTotalJobs(id: string, count: number): Promise<void> {
    await this.#redis.epilogueBatchAddJobs(this.#batch + id, count);
  }

  async decrementPendingJobs(id: string, jobId: string): Promise<BatchJobCounts | undefined> {
    return counts(await this.#redis.epilogueBatchJobSucceeded(this.#batch + id, `${this.#batch}${id}:failed`, jobId));
  }

  async incrementFailedJobs(id: string, jobId: string): Promise<BatchJobCounts | undefined> {
    return counts(await this.#redis.epilogueBatchJobFailed(this.#batch + id, `${this.#batch}${id}:failed`, jobId));
  }

  async markAsFinished(id: string): Promise<void> {
    await this.#finish(id, false);
  }

  async cancel(id: string): Promise<void> {
    await this.#finish(id, true);
  }

  async delete(id: string): Promise<void> {
    await this.#redis
      .multi()
      .del(this.#batch + id, `${this.#batch}${id}:failed`)
      .zrem(this.#index, id)
      .zrem(this.#unfinished, id)
      .zrem(this.#finished, id)
      .zrem(this.#cancelled, id)
      .exec()
      .then(checkTransaction);
  }

  async prune(before: number, options: { readonly unfinished?: boolean } = {}): Promise<number> {
    return this.#prune(before, options.unfinished === true ? [this.#finished, this.#unfinished] : [this.#finished]);
  }

  async pruneUnfinished(before: number): Promise<number> {
    return this.#prune(before, [this.#unfinished]);
  }

  async pruneCancelled(before: number): Promise<number> {
    return this.#prune(before, [this.#cancelled]);
  }

  // A step at a time, so that pruning many batches does not hold Redis for long.
  async #prune(before: number, from: readonly string[]): Promise<number> {
    const indexes = [this.#index, this.#unfinished, this.#finished, this.#cancelled];
    let total = 0;
    for (;;) {
      const deleted = (await this.#redis.epilogueBatchPrune(...indexes, this.#batch, before, PRUNE_STEP, ...from)) as number;
      total += deleted;
      if (deleted < PRUNE_STEP) return total;
    }
  }

  async #finish(id: string, cancel: boolean): Promise<void> {
    const args = [this.#finished, this.#unfinished, id, this.#now(), cancel ? '1' : '0', this.#cancelled];
    await this.#redis.epilogueBatchFinish(this.#batch + id, ...args);
  }

  // Each batch's hash and failed ids are read in one transaction, so that they agree.
  async #read(ids: readonly string[]): Promise<BatchRecord[]> {
    if (ids.length === 0) return [];
    const transaction = this.#redis.multi();
    for (const id of ids) transaction.hgetall(this.#batch + id).smembers(`${this.#batch}${id}:failed`);
    const results = checkTransaction(await transaction.exec());
    return ids.flatMap((id, i) => {
      const fields = results[2 * i] as Record<string, string>;
      // A batch deleted between the listing and the read is left out.
      return fields.createdAt === undefined ? [] : [record(id, fields, results[2 * i + 1] as string[])];
    });
  }
}

function record(id: string, fields: Record<string, string>, failedJobIds: string[]): BatchRecord {
  return {
    id,
    name: fields.name ?? '',
    totalJobs: Number(fields.totalJobs),
    pendingJobs: Number(fields.pendingJobs),
    failedJobs: Number(fields.failedJobs),
    failedJobIds,
    options: JSON.parse(fields.options ?? '{}') as Record<string, unknown>,
    createdAt: Number(fields.createdAt),
    cancelledAt: time(fields.cancelledAt),
    finishedAt: time(fields.finishedAt),
  };
}

function time(field: string | undefined): number | null {
  return field === undefined || field === '' ? null : Number(field);
}

function counts(reply: unknown): BatchJobCounts | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [pendingJobs, failedJobs] = reply as [number, number];
  return { pendingJobs, failedJobs };
}
