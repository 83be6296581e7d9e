import { Dispatcher, type PushOptions, type QueueConnection } from '@epilogue/bus';
import type { Application } from '@epilogue/core';
import { checkNotInstalled, track } from '../support/fakes.js';
import { QueueFake } from './queue-fake.js';
import { payloadTrip } from './round-trip.js';

/**
 * Fakes the application's queue connections: a job that `dispatch()` sends to a queue
 * (`ShouldQueue` jobs, queued chains, `dispatchToQueue`) is kept, with its connection, queue,
 * delay and chain, instead of being pushed to a driver. Each one is first written as a payload
 * and read back through the application's `PayloadCodec`, as a real queue and worker would: a
 * job that would not survive that (not registered, a field that cannot be serialized, too
 * large) makes the dispatch reject with the real typed error, and is listed in every assertion
 * failure.
 *
 * The fake stands in for the bus's queue resolver (the `QueueManager` that `configureQueues()`
 * set), so the connection names are checked against the configured ones; without configured
 * queues, any name is accepted and the default connection is `sync`. Configure the queues
 * before faking them: `restore()` puts back the resolver found when the fake was installed.
 * Jobs that `fakeBus()` fakes never reach the queue.
 *
 * @param app - The application whose queues to fake.
 * @returns The fake, with the assertions and `restore()`.
 * @throws {FakeAlreadyInstalledError} When the queues of `app` are already faked.
 * @example
 * const queue = fakeQueue(app);
 * await ProcessPodcast.dispatch(podcast.id).onQueue('audio');
 * queue.assertPushedOn('audio', ProcessPodcast);
 */
export function fakeQueue(app: Application): QueueFake {
  const dispatcher = app.container.resolve(Dispatcher);
  checkNotInstalled('fakeQueue', dispatcher);
  const previous = dispatcher.queueResolver();
  const trip = payloadTrip(app, previous);
  const fake = new QueueFake(trip.restore, () => dispatcher.setQueueResolver(previous));
  const connections = new Map<string, QueueConnection>();
  const push = async (connection: string, job: object, options: PushOptions) => {
    try {
      const pushed = trip.push(job, options, connection);
      fake.record(pushed);
      return pushed.payload.id;
    } catch (error) {
      fake.recordFailure({ job, error });
      throw error;
    }
  };
  dispatcher.setQueueResolver({
    connection(name) {
      const key = name ?? trip.defaultConnection;
      let connection = connections.get(key);
      if (connection === undefined) {
        connection = { push: (job, options) => push(key, job, options) };
        connections.set(key, connection);
      }
      return connection;
    },
  });
  track(fake, 'fakeQueue', dispatcher);
  return fake;
}
