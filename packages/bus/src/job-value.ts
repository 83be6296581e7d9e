import { InvalidJobError } from './errors.js';

/** A job's readable name for reports: its class name. */
export function jobName(job: object): string {
  return job.constructor?.name ?? 'anonymous job';
}

/** Whether a value can be dispatched as a job: any non-null object. */
export function isJob(job: unknown): job is object {
  return typeof job === 'object' && job !== null;
}

/**
 * Checks that a value can be dispatched as a job.
 *
 * @throws {InvalidJobError} When `job` is not an object.
 */
export function assertJob(job: unknown): asserts job is object {
  if (!isJob(job)) throw InvalidJobError.forValue(job);
}
