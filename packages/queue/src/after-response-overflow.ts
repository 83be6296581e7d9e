import type { QueueableJob } from '@epilogue/bus';
import type { Application, Constructor, OverflowQueue } from '@epilogue/core';
import { InvalidQueueConfigError } from './errors.js';
import type { QueueManager } from './queue-manager.js';
import { jobRegistry } from './registry/job-registry.js';

/**
 * The queue the after-response governor overflows to: the connection named by the
 * application's `afterResponse.overflow` option. A job goes there when its class may be queued
 * (registered, or marked `@ShouldQueue()`), on its own `queue`, at once (it was due to run now).
 *
 * @throws {InvalidQueueConfigError} When the connection is not configured, or runs jobs on push (sync).
 */
export function afterResponseOverflow(app: Application, manager: QueueManager, name: string): OverflowQueue {
  const names = manager.connectionNames();
  if (!names.includes(name)) {
    throw InvalidQueueConfigError.because(
      `afterResponse.overflow names the queue connection "${name}", which is not configured ` +
        `(connections: ${names.map((known) => `"${known}"`).join(', ')}). Name one of them, or add it to configureQueues().`,
    );
  }
  if (manager.driver(name).runsOnPush) {
    throw InvalidQueueConfigError.because(
      `afterResponse.overflow names "${name}", a connection that runs jobs when they are pushed: ` +
        'overflowing to it would run the backlog in this process at once. Name a connection with storage (Redis, memory).',
    );
  }
  const registry = jobRegistry(app);
  const connection = manager.connection(name);
  return {
    connection: name,
    accepts: (job) => registry.has(job.constructor as Constructor),
    push: (job) => connection.push(job, { queue: (job as QueueableJob).queue }),
  };
}
