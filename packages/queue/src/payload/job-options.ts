import { InvalidJobOptionError } from '../errors.js';
import type { JobPayload } from './job-payload.js';

/**
 * The options a queued job may declare, as fields (or, for `tries`, `backoff` and `retryUntil`,
 * as methods, as in Laravel). They are read once, at dispatch, into the payload.
 *
 * @example
 * \@ShouldQueue()
 * class SyncInventory extends QueuedJob {
 *   tries = 5;
 *   backoff = [1, 10, 60];      // seconds before the 2nd, 3rd, then every later attempt
 *   timeout = 30;               // seconds per attempt
 *   retryUntil() { return new Date(Date.now() + 3_600_000); }
 * }
 */
export interface QueuedJobOptions {
  /** How many attempts the job may take; 0 for no limit. Default: 1. */
  tries?: number | (() => number);
  /** Fail once this many attempts threw, even when `tries` (or `retryUntil`) allows more. */
  maxExceptions?: number;
  /** Seconds before a retry: one number, or a list indexed by attempt whose last entry repeats. */
  backoff?: number | readonly number[] | (() => number | readonly number[]);
  /** Seconds an attempt may run before it is abandoned. */
  timeout?: number;
  /** Whether a timed-out attempt fails the job for good instead of being retried. */
  failOnTimeout?: boolean;
  /** A time after which the job is not retried any more; beats `tries`. */
  retryUntil?: Date | (() => Date);
}

/** The payload fields that come from a job's options. */
export type PayloadJobOptions = Pick<
  JobPayload,
  'maxTries' | 'maxExceptions' | 'backoff' | 'timeout' | 'failOnTimeout' | 'retryUntil'
>;

/**
 * Reads and checks a job's queue options.
 *
 * @param job - The job instance.
 * @param name - Its class name, for errors.
 * @returns The payload fields.
 * @throws {InvalidJobOptionError} When an option has an unusable value.
 */
export function readJobOptions(job: object, name: string): PayloadJobOptions {
  const options = job as QueuedJobOptions;
  const invalid = (option: string, expected: string, value: unknown) =>
    InvalidJobOptionError.forOption(name, option, expected, value);
  const { maxExceptions, timeout, failOnTimeout } = options;
  const tries = declaredValue(job, 'tries');
  if (tries !== undefined && !isCount(tries)) throw invalid('tries', 'a whole number ≥ 0 (0: no limit)', tries);
  if (maxExceptions !== undefined && !(isCount(maxExceptions) && maxExceptions > 0)) {
    throw invalid('maxExceptions', 'a whole number ≥ 1', maxExceptions);
  }
  if (timeout !== undefined && !(isSeconds(timeout) && timeout > 0)) throw invalid('timeout', 'seconds > 0', timeout);
  if (failOnTimeout !== undefined && typeof failOnTimeout !== 'boolean') {
    throw invalid('failOnTimeout', 'a boolean', failOnTimeout);
  }
  return {
    maxTries: tries ?? null,
    maxExceptions: maxExceptions ?? null,
    backoff: readBackoff(job, invalid),
    timeout: timeout ?? null,
    failOnTimeout: failOnTimeout ?? false,
    retryUntil: readRetryUntil(job, invalid),
  };
}

type Invalid = (option: string, expected: string, value: unknown) => InvalidJobOptionError;

function readBackoff(job: object, invalid: Invalid): number[] | null {
  const value = declaredValue(job, 'backoff');
  if (value === undefined) return null;
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every(isSeconds)) {
    throw invalid('backoff', 'seconds ≥ 0, or a non-empty list of them', value);
  }
  return [...list];
}

function readRetryUntil(job: object, invalid: Invalid): number | null {
  const value = declaredValue(job, 'retryUntil');
  if (value === undefined) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid('retryUntil', 'a valid Date', value);
  return value.getTime();
}

// An option declared as a field, or as a method that returns it.
function declaredValue(job: object, option: 'tries' | 'backoff' | 'retryUntil'): unknown {
  const declared: unknown = (job as QueuedJobOptions)[option];
  return typeof declared === 'function' ? (declared as () => unknown).call(job) : declared;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
