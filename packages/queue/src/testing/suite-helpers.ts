import type { ConsumeOptions, Delivery, DeliveryOutcome, QueueDriver } from '../driver/queue-driver.js';
import { tick } from './waits.js';

/** Decides a test delivery's outcome. */
export type Decide = (delivery: Delivery) => DeliveryOutcome | Promise<DeliveryOutcome>;

/** Waits until `test` passes, or fails the test after `waitMs`. */
export type Until = (what: string, test: () => boolean | Promise<boolean>) => Promise<void>;

/** Completes every delivery. */
export const complete: Decide = () => ({ type: 'complete' });

/** Consumes `queues` into a list of deliveries, deciding each with `decide`. */
export function consume(
  driver: QueueDriver,
  queues: string[],
  decide: Decide = complete,
  options: Partial<ConsumeOptions> = {},
) {
  const deliveries: Delivery[] = [];
  const consumer = driver.consume(
    queues,
    async (delivery) => {
      deliveries.push(delivery);
      return decide(delivery);
    },
    { concurrency: 1, ...options },
  );
  return { deliveries, consumer };
}

/** Completes a delivery once `gate` resolves. */
export function afterGate(gate: Promise<void>): Decide {
  return () => gate.then(() => ({ type: 'complete' }) as const);
}

/** Completes a delivery after 2 ms. */
export const slowly: Decide = async () => {
  await tick(2);
  return { type: 'complete' };
};

/** The fields of a delivery, for comparisons. */
export function pick({ id, queue, body, attempts, exceptions }: Delivery) {
  return { id, queue, body, attempts, exceptions };
}

/**
 * Awaits a push and ignores its rejection: a driver that runs jobs on push rejects the push of
 * a job that failed, and the suite only cares about what the driver recorded.
 */
export async function quietly(push: Promise<unknown>): Promise<void> {
  await push.catch(() => undefined);
}
