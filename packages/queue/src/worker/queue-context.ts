import type { AtomicStore } from '../atomics/atomic-store.js';
import { InvalidJobOptionError, InvalidJobProgressError, JobMarkedFailedError } from '../errors.js';
import type { ChainLink } from '../payload/job-payload.js';

const CONTEXT = Symbol.for('epilogue.queueContext');

/**
 * What a job running from a queue can know and decide about its current attempt. `QueuedJob`
 * exposes it as `this.attempts()`, `this.release()`, `this.delete()` and `this.fail()`; job
 * middleware reads it with `queueContext(job)`.
 */
export interface QueueContext {
  /** The job's id on its connection. */
  readonly id: string;
  /** The connection's name. */
  readonly connection: string;
  /** The queue it was delivered from. */
  readonly queue: string;
  /** Which attempt this is, from 1. */
  readonly attempts: number;
  /** Aborted when the attempt is abandoned because it ran past its `timeout`. */
  readonly signal: AbortSignal;
  /** The connection's store of locks and counters, where job middleware keeps its state. */
  readonly atomics: AtomicStore;
  /**
   * Puts the job back on its queue, to be attempted again after `delaySeconds` (this attempt
   * counts). The job is not failed, and its `failed()` hook does not run.
   */
  release(delaySeconds?: number): void;
  /** Removes the job from its queue: it will not run again, even if this attempt throws. */
  delete(): void;
  /** Fails the job for good with `error`: its `failed()` hook runs and it goes to the failed store. */
  fail(error?: unknown): void;
  /**
   * Reports how far the attempt got, a percentage from 0 to 100: the worker prints it and the
   * driver stores it where it can (BullMQ: `job.updateProgress()`). Resolves once stored; never
   * rejects (a driver that could not store it reports to the application).
   *
   * @throws {InvalidJobProgressError} When `percent` is not a number from 0 to 100.
   */
  progress(percent: number): Promise<void>;
}

/** Where an attempt's progress goes: never rejects. */
export type ProgressSink = (percent: number) => Promise<void>;

/**
 * Checks a progress value.
 *
 * @param job - The job's display name, for the error.
 * @throws {InvalidJobProgressError} When `percent` is not a number from 0 to 100.
 */
export function checkProgress(job: string, percent: unknown): asserts percent is number {
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) {
    throw InvalidJobProgressError.forValue(job, percent);
  }
}

/** The decisions a job took during one attempt, read by the worker when the attempt ends. */
export class AttemptContext implements QueueContext {
  readonly id: string;
  readonly connection: string;
  readonly queue: string;
  readonly attempts: number;
  readonly atomics: AtomicStore;
  /** Milliseconds to wait, when the job released itself. */
  releasedMs: number | undefined;
  /** Whether the job deleted itself. */
  deleted = false;
  /** What the job failed itself with, when it did. */
  failure: { error: unknown } | undefined;
  /** The jobs it added with `prependToChain()`, written, in the order they run: pushed after it if it completes. */
  readonly prepended: ChainLink[] = [];
  /** The jobs it added with `appendToChain()`, written, in order: they run at the end of its chain. */
  readonly appended: ChainLink[] = [];

  readonly #job: string;
  readonly #progress: ProgressSink | undefined;
  // Made when the signal is first read: most jobs never look at it.
  #abort: AbortController | undefined;
  #abandoned = false;
  #closed = false;

  /**
   * @param job - The job's display name, for errors.
   * @param where - Id, connection, queue and attempt number.
   * @param atomics - The connection's store of locks and counters.
   * @param progress - Where `progress()` reports to; without it, progress is checked and dropped.
   */
  constructor(
    job: string,
    where: { id: string; connection: string; queue: string; attempts: number },
    atomics: AtomicStore,
    progress?: ProgressSink,
  ) {
    this.#job = job;
    this.#progress = progress;
    this.atomics = atomics;
    this.id = where.id;
    this.connection = where.connection;
    this.queue = where.queue;
    this.attempts = where.attempts;
  }

  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#abandoned) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  release(delaySeconds = 0): void {
    if (typeof delaySeconds !== 'number' || !Number.isFinite(delaySeconds) || delaySeconds < 0) {
      throw InvalidJobOptionError.forOption(this.#job, 'release()', 'seconds ≥ 0', delaySeconds);
    }
    if (!this.#closed) this.releasedMs = delaySeconds * 1000;
  }

  delete(): void {
    if (!this.#closed) this.deleted = true;
  }

  fail(error?: unknown): void {
    if (!this.#closed) this.failure = { error: error ?? JobMarkedFailedError.forJob(this.#job) };
  }

  progress(percent: number): Promise<void> {
    checkProgress(this.#job, percent);
    if (this.#closed || this.#progress === undefined) return Promise.resolve();
    return this.#progress(percent);
  }

  /** Ends the attempt: later calls (from work that outlived a timeout) change nothing. */
  close(abandoned: boolean): void {
    this.#closed = true;
    if (!abandoned) return;
    this.#abandoned = true;
    this.#abort?.abort();
  }
}

/**
 * The queue context of a job while it runs from a queue.
 *
 * @param job - The job instance.
 * @returns Its context, or `undefined` when it was not delivered by a queue (run with
 *   `dispatchNow`, say).
 */
export function queueContext(job: object): QueueContext | undefined {
  return (job as { [CONTEXT]?: QueueContext })[CONTEXT];
}

/** Gives a job instance its context for an attempt; a symbol key, so it is never serialized. */
export function attachContext(job: object, context: QueueContext): void {
  Object.defineProperty(job, CONTEXT, { value: context, enumerable: false, configurable: true, writable: true });
}
