import { formatException, type FailedJobRecord } from '../failed/failed-job-store.js';
import type { Delivery, DeliveryHandler, DeliveryOutcome } from './queue-driver.js';

/**
 * Calls a delivery handler and always resolves to an outcome: a handler that throws or rejects
 * (which it should not) fails the job with that error, so a driver never loses track of a job.
 *
 * @param handler - The consumer's handler.
 * @param delivery - The job being delivered.
 * @returns The handler's outcome, or `fail` with what it threw.
 */
export async function deliver(handler: DeliveryHandler, delivery: Delivery): Promise<DeliveryOutcome> {
  try {
    return await handler(delivery);
  } catch (error) {
    return { type: 'fail', error };
  }
}

/**
 * The failed-store record of a delivery that failed for good.
 *
 * @param delivery - The job.
 * @param error - What it failed with.
 * @param failedAt - When, in milliseconds since the epoch.
 */
export function failedRecord(delivery: Delivery, error: unknown, failedAt: number): FailedJobRecord {
  return {
    id: delivery.id,
    queue: delivery.queue,
    payload: delivery.body,
    exception: formatException(error),
    failedAt,
  };
}
