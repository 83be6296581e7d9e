// A queued listener's viaQueue(event), withDelay(event) and middleware(event) with the BullMQ
// driver on the local Redis: the job lands on the queue the listener chose, and its middleware
// runs around it on the worker.
import { ShouldQueue } from '@epilogue/bus';
import { BullMQDriver } from '@epilogue/bullmq';
import { Application } from '@epilogue/core';
import { EventDispatcher, type QueuedListenerOptions } from '@epilogue/events';
import { configureQueues, queueManager, Worker, type JobFinished } from '@epilogue/queue';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

const trail: string[] = [];

class ParcelSent {
  constructor(
    public id: number,
    public express: boolean,
  ) {}
}

@ShouldQueue()
class TrackParcel implements QueuedListenerOptions<ParcelSent> {
  queue = 'parcels';
  viaQueue(event: ParcelSent) {
    return event.express ? 'express' : undefined;
  }
  withDelay(event: ParcelSent) {
    return event.express ? 0 : 3600;
  }
  middleware(event: ParcelSent) {
    return [
      async (job: object, next: (job: object) => Promise<unknown>) => {
        trail.push(`middleware ${event.id} on ${(job as { displayName(): string }).displayName()}`);
        return next(job);
      },
    ];
  }
  handle(event: ParcelSent) {
    trail.push(`tracked ${event.id} ${event instanceof ParcelSent}`);
  }
}

describeWithRedis('queued listener options with the BullMQ driver (local Redis)', () => {
  let prefix: string;
  let driver: BullMQDriver;

  beforeEach(() => {
    trail.length = 0;
    prefix = uniquePrefix('events-options');
  });

  afterEach(async () => {
    await driver.close();
    await deleteKeys(prefix);
  });

  it('pushes to the queue viaQueue(event) names, after withDelay(event), and runs middleware(event) on the worker', async () => {
    const app = new Application();
    driver = new BullMQDriver({ connection: REDIS, prefix });
    configureQueues(app, { default: 'redis', connections: { redis: driver } });
    const events = app.make(EventDispatcher);
    events.listen(ParcelSent, TrackParcel);

    await events.dispatch(new ParcelSent(1, true));
    await events.dispatch(new ParcelSent(2, false));
    const manager = queueManager(app);
    expect(await manager.size('express')).toBe(1);
    expect(await manager.size('parcels')).toBe(1);

    const finished: JobFinished[] = [];
    const worker = new Worker(app, { queues: ['express'], stopWhenEmpty: true });
    worker.on('processed', (job) => finished.push(job));
    await worker.run();
    expect(finished.map(({ name, status }) => [name, status])).toEqual([['TrackParcel', 'completed']]);
    expect(trail).toEqual(['middleware 1 on TrackParcel', 'tracked 1 true']);
  });
});
