import { Dispatcher } from '@epilogue/bus';
import type { Application } from '@epilogue/core';
import { afterResponseOverflow } from './after-response-overflow.js';
import { useQueuedBatches } from './batch/use-queued-batches.js';
import { QueuesNotConfiguredError } from './errors.js';
import { QueueManager, type QueueConfig } from './queue-manager.js';

/**
 * Sets up the queues of an application: creates its `QueueManager`, registers it in the
 * application's container, and makes the bus send `ShouldQueue` jobs through it. When the
 * application was made with `afterResponse: { overflow: name }`, after-response jobs beyond
 * `maxPending` (and those unfinished at a shutdown timeout) are pushed to that connection.
 * Job batches get their store (`config.batches`, else the default connection's shared store,
 * such as the BullMQ driver's Redis one) and write their callback jobs with the payload codec.
 *
 * The drivers then belong to the application: `app.shutdown()` closes them (their Redis
 * connections, their thread pools) once the work has drained, so a script that dispatched a
 * queued job ends on its own after `await app.shutdown()`.
 *
 * @param app - The application.
 * @param config - The connections, the default connection and payload options.
 * @returns The manager.
 * @throws {InvalidQueueConfigError} When the configuration cannot work, or `afterResponse.overflow`
 *   names a connection that is not configured or runs jobs on push, or `batches` is not a batch store.
 * @example
 * configureQueues(app, {
 *   default: 'memory',
 *   connections: { sync: new SyncDriver(), memory: new MemoryDriver() },
 *   signingKey: process.env.APP_KEY,
 * });
 */
export function configureQueues(app: Application, config: QueueConfig): QueueManager {
  const manager = new QueueManager(app, config);
  const overflow = app.afterResponse.overflowConnection;
  if (overflow !== undefined) app.afterResponse.useOverflow(afterResponseOverflow(app, manager, overflow));
  useQueuedBatches(app, manager, config.batches);
  app.container.registerInstance(QueueManager, manager);
  app.closeOnShutdown(manager, `the queue connections (${manager.connectionNames().join(', ')})`);
  app.container.resolve(Dispatcher).setQueueResolver(manager);
  return manager;
}

/**
 * The queue manager of an application (also `app.make(QueueManager)`).
 *
 * @throws {QueuesNotConfiguredError} Before `configureQueues()`.
 */
export function queueManager(app: Application): QueueManager {
  if (!app.container.isRegistered(QueueManager, true)) throw new QueuesNotConfiguredError();
  return app.container.resolve(QueueManager);
}
