import { LazyInstruments, type TracedAttributes } from '@epilogue/core';
import type { QueueDriver } from '../driver/queue-driver.js';

/** The `messaging.system` of Epilogue's queue spans and metrics. */
export const MESSAGING_SYSTEM = 'epilogue';

/**
 * The attributes of a queue span, after OpenTelemetry's messaging semantic conventions, with the
 * job's name as `epilogue.job.name`.
 *
 * @param operation - `send` at dispatch, `process` on the worker.
 * @param connection - The queue connection's name.
 * @param queue - The queue's name (`messaging.destination.name`).
 * @param job - The job's name.
 */
export function messagingAttributes(
  operation: 'send' | 'process',
  connection: string,
  queue: string,
  job: string,
): TracedAttributes {
  return {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': queue,
    'epilogue.queue.connection': connection,
    'epilogue.job.name': job,
  };
}

const jobs = new LazyInstruments((meter) => ({
  processed: meter.createCounter('epilogue.queue.jobs.processed', {
    unit: '{job}',
    description: 'Attempts of queued jobs that ended, by outcome (complete, release, delete, fail).',
  }),
  failed: meter.createCounter('epilogue.queue.jobs.failed', { unit: '{job}', description: 'Queued jobs that failed for good.' }),
  duration: meter.createHistogram('epilogue.queue.job.duration', { unit: 's', description: 'How long an attempt of a queued job ran.' }),
  wait: meter.createHistogram('epilogue.queue.job.wait', {
    unit: 's',
    description: 'How long a job waited between its dispatch and the start of its first attempt (a delay included).',
  }),
}));

/** What one attempt of a queued job came to, for the queue metrics. */
export interface AttemptMetrics {
  readonly connection: string;
  readonly queue: string;
  readonly job: string;
  readonly attempt: number;
  readonly createdAt: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: string;
}

/** Records one attempt in the queue metrics; nothing without `@opentelemetry/api` or a meter provider. */
export function recordAttempt(attempt: AttemptMetrics): void {
  // A meter provider registered after the worker started gets the depth gauge too.
  depth.get();
  const instruments = jobs.get();
  if (instruments === undefined) return;
  const attributes = {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': attempt.queue,
    'epilogue.queue.connection': attempt.connection,
    'epilogue.job.name': attempt.job,
  };
  instruments.processed.add(1, { ...attributes, 'epilogue.job.outcome': attempt.outcome });
  if (attempt.outcome === 'fail') instruments.failed.add(1, attributes);
  instruments.duration.record(attempt.durationMs / 1000, attributes);
  if (attempt.attempt === 1) instruments.wait.record(Math.max(0, attempt.startedAt - attempt.createdAt) / 1000, attributes);
}

interface WatchedQueues {
  readonly driver: WeakRef<QueueDriver>;
  readonly connection: string;
  readonly queues: readonly string[];
}

// The queues workers consume, held weakly, read by the depth gauge when the reader collects.
const watched = new Set<WatchedQueues>();

const depth = new LazyInstruments((meter) => {
  meter
    .createObservableGauge('epilogue.queue.depth', { unit: '{job}', description: 'Jobs waiting on a queue, ready or delayed (the driver\'s size()).' })
    .addCallback(async (result) => {
      for (const entry of [...watched]) {
        const driver = entry.driver.deref();
        if (driver === undefined) {
          watched.delete(entry);
          continue;
        }
        for (const queue of entry.queues) {
          const size = await driver.size(queue).catch(() => undefined);
          if (size !== undefined) {
            result.observe(size, { 'messaging.system': MESSAGING_SYSTEM, 'messaging.destination.name': queue, 'epilogue.queue.connection': entry.connection });
          }
        }
      }
    });
  return {};
});

/**
 * Reports the depth of `queues` (the driver's `size()`) in the `epilogue.queue.depth` gauge
 * until `unwatch` is called.
 *
 * @returns A function that stops reporting them.
 */
export function watchQueueDepth(driver: QueueDriver, connection: string, queues: readonly string[]): () => void {
  const entry: WatchedQueues = { driver: new WeakRef(driver), connection, queues };
  watched.add(entry);
  depth.get();
  return () => watched.delete(entry);
}
