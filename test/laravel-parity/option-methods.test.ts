import { ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { EventDispatcher, InvalidQueuedOptionError, type QueuedListenerOptions } from '@epilogue/events';
import { configureQueues, MemoryDriver, QueuedJob, Worker, type QueuedJobOptions } from '@epilogue/queue';

const attempts: string[] = [];
const failures: string[] = [];

class OrderShipped {
  constructor(
    public orderId: number,
    public express = false,
  ) {}
}

@ShouldQueue()
class NotifyCarrier implements QueuedListenerOptions<OrderShipped> {
  timeout = 30;
  tries(event: OrderShipped) {
    return event.express ? 3 : 2;
  }
  backoff(event: OrderShipped) {
    return event.express ? [0, 0] : 0;
  }
  handle(event: OrderShipped) {
    attempts.push(`carrier ${event.orderId}`);
    throw new Error('carrier down');
  }
  failed(event: OrderShipped) {
    failures.push(`carrier ${event.orderId}`);
  }
}

@ShouldQueue()
class DelaysWithAMethod {
  delay() {
    return 5;
  }
  handle() {
    attempts.push('never');
  }
}

@ShouldQueue()
class ImportFeed extends QueuedJob implements QueuedJobOptions {
  tries() {
    return 2;
  }
  handle() {
    attempts.push('import');
    throw new Error('feed down');
  }
}

function queuedApp() {
  const app = new Application({ report: () => undefined });
  const memory = new MemoryDriver();
  configureQueues(app, { default: 'memory', connections: { memory } });
  return { app, memory, events: app.make(EventDispatcher) };
}

const work = (app: Application) => new Worker(app, { stopWhenEmpty: true, stopTimeoutMs: 500 }).run();

describe('tries(), backoff() and retryUntil() may be methods, as Laravel allows', () => {
  beforeEach(() => {
    attempts.length = 0;
    failures.length = 0;
  });

  it('a queued listener’s tries(event) and backoff(event) are called with the event at dispatch; timeout is carried', async () => {
    const { app, memory, events } = queuedApp();
    events.listen(OrderShipped, NotifyCarrier);
    await events.dispatch(new OrderShipped(1, true));
    await events.dispatch(new OrderShipped(2));
    await work(app);
    expect(attempts.filter((a) => a === 'carrier 1')).toHaveLength(3);
    expect(attempts.filter((a) => a === 'carrier 2')).toHaveLength(2);
    expect(failures.sort()).toEqual(['carrier 1', 'carrier 2']);
    const options = (await memory.failedJobs.list())
      .map((record) => JSON.parse(record.payload) as Record<string, unknown>)
      .map(({ maxTries, backoff, timeout }) => ({ maxTries, backoff, timeout }))
      .sort((a, b) => Number(a.maxTries) - Number(b.maxTries));
    expect(options).toEqual([
      { maxTries: 2, backoff: [0], timeout: 30 },
      { maxTries: 3, backoff: [0, 0], timeout: 30 },
    ]);
  });

  it('a queued job’s tries() method is read at dispatch', async () => {
    const { app } = queuedApp();
    await ImportFeed.dispatch();
    await work(app);
    expect(attempts).toEqual(['import', 'import']);
  });

  it('another option declared as a method is refused at dispatch with a typed error naming the listener', async () => {
    const { events } = queuedApp();
    events.listen(OrderShipped, DelaysWithAMethod);
    const dispatched = events.dispatch(new OrderShipped(3));
    await expect(dispatched).rejects.toBeInstanceOf(InvalidQueuedOptionError);
    await expect(events.dispatch(new OrderShipped(3))).rejects.toMatchObject({
      code: 'E_INVALID_LISTENER_OPTION',
      message: expect.stringMatching(/DelaysWithAMethod .*delay must be a value, not a method/),
    });
  });
});
