import type { Constructor } from '@epilogue/core';
import { InvalidJobOptionError } from '../errors.js';

const UNIQUE = Symbol.for('epilogue.shouldBeUnique');

/** When a unique job's lock is freed. */
type UniqueUntil = 'processed' | 'processing';

/**
 * What a unique job may declare, as fields or methods. Implement it to have them type-checked:
 * `class Rebuild extends QueuedJob implements UniqueJob`.
 */
export interface UniqueJob {
  /** What makes two jobs of the class the same job, such as a record's id. Default: `''`, one per class. */
  uniqueId?: string | number | (() => string | number);
  /** Seconds after which the lock frees itself even if the job has not finished. Default: it lasts until then. */
  uniqueFor?: number | (() => number);
}

/** The lock a unique job takes when it is dispatched to a queue. */
export interface UniqueLock {
  /** The lock's key in the store of the job's connection: `unique:<job name>:<uniqueId>`. */
  readonly key: string;
  /** Milliseconds after which it frees itself, when the job declares `uniqueFor`. */
  readonly ttlMs: number | undefined;
  /** When the worker frees it: once the job finished for good, or as soon as its handler is reached. */
  readonly until: UniqueUntil;
}

/**
 * Marks a queued job class as unique: while one job of the class with a given `uniqueId` is on
 * its queue or running, dispatching another is skipped (`dispatch()` resolves to `null`). The
 * lock is taken at dispatch, in the store of the job's connection (so on Redis it holds across
 * machines), and freed when the job completes, is deleted or fails for good — not when it is
 * released to try again — or after `uniqueFor` seconds. Subclasses inherit the mark. Use it
 * with `@ShouldQueue()`: only jobs pushed to a queue connection are checked.
 *
 * @returns The class decorator.
 * @example
 * \@ShouldQueue()
 * \@ShouldBeUnique()
 * class RebuildSearchIndex extends QueuedJob implements UniqueJob {
 *   uniqueFor = 3600;
 *   constructor(public productId: number) { super(); }
 *   uniqueId() { return this.productId; }
 *   async handle() { ... }
 * }
 */
export function ShouldBeUnique(): <T extends Constructor>(target: T) => T {
  return mark('processed');
}

/**
 * Like `ShouldBeUnique`, but the lock is freed as soon as the job's middleware let it through to
 * its handler, so that one more may be dispatched while it runs: at most one waits on the queue.
 * A job that its middleware holds back keeps the lock.
 *
 * @returns The class decorator.
 */
export function ShouldBeUniqueUntilProcessing(): <T extends Constructor>(target: T) => T {
  return mark('processing');
}

/**
 * Whether a job (instance or class) is marked with `ShouldBeUnique` or `ShouldBeUniqueUntilProcessing`.
 *
 * @param job - A job instance or class.
 */
export function isShouldBeUnique(job: unknown): boolean {
  return markOf(job) !== undefined;
}

/**
 * The lock a job takes at dispatch, when it is unique.
 *
 * @param job - The job.
 * @param name - The name its class is registered under.
 * @returns The lock, or `undefined` for a job that is not unique.
 * @throws {InvalidJobOptionError} When `uniqueId` or `uniqueFor` has an unusable value.
 */
export function uniqueLockOf(job: object, name: string): UniqueLock | undefined {
  const until = markOf(job);
  if (until === undefined) return undefined;
  const { uniqueId, uniqueFor } = job as UniqueJob;
  const id = typeof uniqueId === 'function' ? uniqueId.call(job) : (uniqueId ?? '');
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) {
    throw InvalidJobOptionError.forOption(job.constructor.name, 'uniqueId', 'a string or a number', id);
  }
  const seconds = typeof uniqueFor === 'function' ? uniqueFor.call(job) : uniqueFor;
  if (seconds !== undefined && !(typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0)) {
    throw InvalidJobOptionError.forOption(
      job.constructor.name,
      'uniqueFor',
      'seconds > 0 (leave it out to keep the lock until the job finished)',
      seconds,
    );
  }
  return { key: `unique:${name}:${id}`, ttlMs: seconds === undefined ? undefined : seconds * 1000, until };
}

function mark(until: UniqueUntil): <T extends Constructor>(target: T) => T {
  return (target) => {
    Object.defineProperty(target, UNIQUE, { value: until, enumerable: false, configurable: true });
    return target;
  };
}

function markOf(job: unknown): UniqueUntil | undefined {
  if (job === null || job === undefined) return undefined;
  const target = typeof job === 'function' ? job : (job as object).constructor;
  return (target as unknown as Record<symbol, UniqueUntil | undefined> | undefined)?.[UNIQUE];
}
