import type { Delivery, DeliveryOutcome } from '../driver/queue-driver.js';
import { MaxAttemptsExceededError } from '../errors.js';
import type { JobPayload } from '../payload/job-payload.js';
import type { AttemptContext } from './queue-context.js';

/** The attempts a job may take when it declares no `tries`, as Laravel's worker default. */
export const DEFAULT_TRIES = 1;

/** How one attempt ended. */
export interface AttemptResult {
  /** What the job decided through its queue context. */
  readonly context: AttemptContext;
  /** Whether the attempt threw (or timed out). */
  readonly threw: boolean;
  /** What it threw. */
  readonly error?: unknown;
  /** Whether it was abandoned for running past its timeout. */
  readonly timedOut: boolean;
  /** What it returned, when it did not throw. */
  readonly result?: unknown;
}

/**
 * The error to fail a job with before its attempt even starts, because it already used up its
 * attempts (released too often, or delivered again after a worker died) or its `retryUntil` passed.
 *
 * @param payload - The job's payload.
 * @param attempts - The attempt about to start.
 * @param now - The current time, in milliseconds.
 */
export function exceededBeforeAttempt(payload: JobPayload, attempts: number, now: number): Error | undefined {
  const { retryUntil, displayName } = payload;
  if (retryUntil !== null) {
    return now > retryUntil ? MaxAttemptsExceededError.expired(displayName, attempts - 1, new Date(retryUntil)) : undefined;
  }
  const maxTries = payload.maxTries ?? DEFAULT_TRIES;
  return maxTries > 0 && attempts > maxTries ? MaxAttemptsExceededError.forJob(displayName, attempts - 1) : undefined;
}

/**
 * Decides what happens to a job after an attempt, in Laravel's order: a job that failed,
 * deleted or released itself gets that; one that returned is complete; one that threw fails
 * when it timed out with `failOnTimeout`, reached `maxExceptions`, passed `retryUntil` (which
 * beats `tries`) or used its last try, and is otherwise released after its backoff.
 *
 * @param payload - The job's payload (its options).
 * @param delivery - The delivery (attempt number, earlier exceptions).
 * @param attempt - How the attempt ended.
 * @param now - The current time, in milliseconds.
 */
export function decideOutcome(
  payload: JobPayload,
  delivery: Delivery,
  attempt: AttemptResult,
  now: number,
): DeliveryOutcome {
  const { context } = attempt;
  if (context.failure !== undefined) return { type: 'fail', error: context.failure.error };
  if (context.deleted) return { type: 'delete' };
  const exceptions = delivery.exceptions + (attempt.threw ? 1 : 0);
  // An attempt that threw counts towards maxExceptions even when it asked to be released (a
  // job that calls release() then throws, ThrottlesExceptions): the limit holds either way.
  const tooManyExceptions = attempt.threw && payload.maxExceptions !== null && exceptions >= payload.maxExceptions;
  if (tooManyExceptions) return { type: 'fail', error: attempt.error };
  if (context.releasedMs !== undefined) return { type: 'release', delayMs: context.releasedMs, exceptions };
  if (!attempt.threw) return { type: 'complete', result: attempt.result };
  const fail: DeliveryOutcome = { type: 'fail', error: attempt.error };
  if (attempt.timedOut && payload.failOnTimeout) return fail;
  if (payload.retryUntil !== null) {
    if (now >= payload.retryUntil) return fail;
  } else {
    const maxTries = payload.maxTries ?? DEFAULT_TRIES;
    if (maxTries > 0 && delivery.attempts >= maxTries) return fail;
  }
  return { type: 'release', delayMs: backoffMs(payload.backoff, delivery.attempts), exceptions };
}

/**
 * Milliseconds to wait before the attempt after `attempts`: `backoff[attempts - 1]`, else the
 * last entry, else 0.
 */
export function backoffMs(backoff: readonly number[] | null, attempts: number): number {
  if (backoff === null || backoff.length === 0) return 0;
  return (backoff[attempts - 1] ?? backoff[backoff.length - 1]) * 1000;
}
