import { randomUUID } from 'node:crypto';
import type { Next } from '@epilogue/core';
import { InvalidJobMiddlewareError } from '../errors.js';
import { atomicsFor, checkKey, checkSeconds, holdBack, keyName } from './middleware-support.js';

const NAME = 'WithoutOverlapping';

/**
 * Job middleware that lets one job of a class run at a time for a key: while one holds the
 * lock, the others are put back on their queue (after `releaseAfter` seconds, 0 by default) or
 * deleted (`dontRelease()`). The lock is freed when the job returns or throws. It lives in the
 * store of the job's connection, so on Redis it holds across machines.
 *
 * A worker that dies while it runs the job cannot free the lock: give it an `expireAfter()`
 * longer than the job can run, or it stays locked until cleared from the store.
 *
 * @example
 * \@ShouldQueue()
 * class SyncAccount extends QueuedJob {
 *   tries = 0;
 *   constructor(public accountId: number) { super(); }
 *   middleware() {
 *     return [new WithoutOverlapping(this.accountId).releaseAfter(10).expireAfter(300)];
 *   }
 *   async handle() { ... }
 * }
 */
export class WithoutOverlapping {
  readonly #key: string;
  #releaseAfter: number | null = 0;
  #expireAfterMs: number | undefined;
  #shared = false;
  #prefix = 'overlap:';

  /**
   * @param key - What may not overlap, such as an account id; jobs of the class with another key
   *   run side by side. Default: `''`, one lock for the whole class.
   * @throws {InvalidJobMiddlewareError} When the key is not a string or a number.
   */
  constructor(key: string | number = '') {
    this.#key = checkKey(NAME, 'key', key);
  }

  /**
   * Puts a job that finds the lock held back on its queue after `seconds` (the attempt counts).
   *
   * @throws {InvalidJobMiddlewareError} For a negative or non-finite number.
   */
  releaseAfter(seconds: number): this {
    this.#releaseAfter = checkSeconds(NAME, 'releaseAfter', seconds, false);
    return this;
  }

  /** Deletes a job that finds the lock held, instead of putting it back. */
  dontRelease(): this {
    this.#releaseAfter = null;
    return this;
  }

  /**
   * Frees the lock after `seconds` even if the job has not finished, so that a worker that died
   * cannot hold it for ever. Default: the lock lasts until the job finishes.
   *
   * @throws {InvalidJobMiddlewareError} For a number that is not positive and finite.
   */
  expireAfter(seconds: number): this {
    this.#expireAfterMs = checkSeconds(NAME, 'expireAfter', seconds, true) * 1000;
    return this;
  }

  /**
   * Starts the lock's key with `prefix` instead of `overlap:`: the key is then
   * `<prefix><job name>:<key>` (`<prefix>:<key>` when `shared()`), to keep apart the locks of
   * applications that share one store, or to share a lock with code that takes it by that key.
   *
   * @throws {InvalidJobMiddlewareError} When `prefix` is not a non-empty string.
   */
  withPrefix(prefix: string): this {
    if (typeof prefix !== 'string' || prefix === '') {
      throw InvalidJobMiddlewareError.forOption(NAME, 'withPrefix', 'a non-empty string', prefix);
    }
    this.#prefix = prefix;
    return this;
  }

  /** Shares the lock with every job class that uses the same key, instead of one lock per class. */
  shared(): this {
    this.#shared = true;
    return this;
  }

  /**
   * Runs the job while holding the lock, or holds the job back when another holds it.
   *
   * @returns What the rest of the pipeline returned, or `undefined` when the job was held back.
   */
  async handle(job: object, next: Next<object>): Promise<unknown> {
    const store = atomicsFor(job);
    const key = `${this.#prefix}${this.#shared ? '' : keyName(job)}:${this.#key}`;
    const owner = randomUUID();
    if (!(await store.acquire(key, owner, this.#expireAfterMs))) return holdBack(job, this.#releaseAfter);
    try {
      return await next(job);
    } finally {
      await store.release(key, owner);
    }
  }
}
