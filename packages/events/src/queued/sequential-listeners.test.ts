import { ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { EventDispatcher, InvalidListenerError, type QueuedListenerOptions } from '@epilogue/events';
import { configureQueues, MemoryDriver, queueManager, SyncDriver, Worker, type JobFinished } from '@epilogue/queue';
import type { DriverPushOptions, PushReceipt } from '@epilogue/queue/driver';

const trail: string[] = [];
const failures: string[] = [];
const halting = new Set<number>();
const throwing = new Map<number, number>();

class Checkout {
  constructor(
    public orderId: number,
    public sendReceipt = true,
  ) {}
}

/** Returns false for orders in `halting`; throws for orders in `throwing`, that many times. */
@ShouldQueue()
class ReserveStock implements QueuedListenerOptions<Checkout> {
  tries = 2;
  handle(event: Checkout) {
    trail.push(`reserve ${event.orderId}`);
    const left = throwing.get(event.orderId) ?? 0;
    if (left > 0) {
      throwing.set(event.orderId, left - 1);
      throw new Error(`stock service down for ${event.orderId}`);
    }
    if (halting.has(event.orderId)) return false;
    return 'reserved';
  }
  failed(event: Checkout, error: unknown) {
    failures.push(`reserve ${event.orderId}: ${(error as Error).message}`);
  }
}

@ShouldQueue()
class SendReceipt implements QueuedListenerOptions<Checkout> {
  queue = 'mail';
  shouldQueue(event: Checkout) {
    return event.sendReceipt;
  }
  handle(event: Checkout) {
    trail.push(`receipt ${event.orderId}`);
  }
}

class UpdateDashboard {
  handle(event: Checkout) {
    trail.push(`dashboard ${event.orderId}`);
  }
}

class CountingDriver extends MemoryDriver {
  pushes = 0;
  override async push(body: string, options: DriverPushOptions): Promise<PushReceipt> {
    this.pushes++;
    return super.push(body, options);
  }
}

function setUp() {
  const app = new Application({ report: () => undefined });
  const memory = new CountingDriver();
  configureQueues(app, { default: 'memory', connections: { memory, sync: new SyncDriver() } });
  return { app, events: app.make(EventDispatcher), memory };
}

async function work(app: Application): Promise<JobFinished[]> {
  const worker = new Worker(app, { queues: ['default', 'mail'], stopWhenEmpty: true, stopTimeoutMs: 500 });
  const finished: JobFinished[] = [];
  worker.on('processed', (job) => finished.push(job));
  await worker.run();
  return finished;
}

const summary = (finished: JobFinished[]) => finished.map(({ name, status }) => `${name} ${status}`);

beforeEach(() => {
  trail.length = 0;
  failures.length = 0;
  halting.clear();
  throwing.clear();
});

describe('sequential queued listeners', () => {
  it('pushes only the first; the next is queued once the one before it succeeded', async () => {
    const { app, events, memory } = setUp();
    events.listen(Checkout, [ReserveStock, SendReceipt], { sequential: true });
    await events.dispatch(new Checkout(1));
    expect(memory.pushes).toBe(1);
    expect(await queueManager(app).size('mail')).toBe(0);
    const finished = await work(app);
    expect(summary(finished)).toEqual(['ReserveStock completed', 'SendReceipt completed']);
    expect(trail).toEqual(['reserve 1', 'receipt 1']);
    expect(finished[1].queue).toBe('mail');
  });

  it('never queues the next listener when one returns false', async () => {
    const { app, events, memory } = setUp();
    halting.add(2);
    events.listen(Checkout, [ReserveStock, SendReceipt], { sequential: true });
    await events.dispatch(new Checkout(2));
    const finished = await work(app);
    expect(summary(finished)).toEqual(['ReserveStock deleted']);
    expect(trail).toEqual(['reserve 2']);
    expect(memory.pushes).toBe(1);
  });

  it('retries a listener that throws, then goes on with the next once it succeeded', async () => {
    const { app, events } = setUp();
    throwing.set(3, 1);
    events.listen(Checkout, [ReserveStock, SendReceipt], { sequential: true });
    await events.dispatch(new Checkout(3));
    const finished = await work(app);
    expect(summary(finished)).toEqual(['ReserveStock released', 'ReserveStock completed', 'SendReceipt completed']);
    expect(trail).toEqual(['reserve 3', 'reserve 3', 'receipt 3']);
  });

  it('stops the sequence when a listener failed for good, after its failed(event, error)', async () => {
    const { app, events } = setUp();
    throwing.set(4, 2);
    events.listen(Checkout, [ReserveStock, SendReceipt], { sequential: true });
    await events.dispatch(new Checkout(4));
    const finished = await work(app);
    expect(summary(finished)).toEqual(['ReserveStock released', 'ReserveStock failed']);
    expect(trail).toEqual(['reserve 4', 'reserve 4']);
    expect(failures).toEqual(['reserve 4: stock service down for 4']);
    expect(await queueManager(app).failedJobs().list()).toHaveLength(1);
  });

  it('leaves out a listener whose shouldQueue() declines the event', async () => {
    const { app, events } = setUp();
    events.listen(Checkout, [SendReceipt, ReserveStock], { sequential: true });
    await events.dispatch(new Checkout(5, false));
    expect(summary(await work(app))).toEqual(['ReserveStock completed']);
  });

  it('runs a plain listener class of the sequence on the worker too, in its place', async () => {
    const { app, events } = setUp();
    events.listen(Checkout, () => void trail.push('inline listener'));
    events.listen(Checkout, [ReserveStock, UpdateDashboard, SendReceipt], { sequential: true });
    await events.dispatch(new Checkout(6));
    expect(trail).toEqual(['inline listener']);
    expect(summary(await work(app))).toEqual([
      'ReserveStock completed',
      'UpdateDashboard completed',
      'SendReceipt completed',
    ]);
    expect(trail).toEqual(['inline listener', 'reserve 6', 'dashboard 6', 'receipt 6']);
  });

  it('does not stop the listeners after the sequence: they run before it is worked', async () => {
    const { events } = setUp();
    halting.add(7);
    events.listen(Checkout, [ReserveStock, SendReceipt], { sequential: true });
    events.listen(Checkout, () => 'after the sequence');
    expect(await events.dispatch(new Checkout(7))).toEqual(['after the sequence']);
  });

  it('runs the sequence inline, with every rule of an inline listener, under dispatchNow()', async () => {
    const { events, memory } = setUp();
    halting.add(8);
    events.listen(Checkout, [ReserveStock, SendReceipt], { sequential: true });
    events.listen(Checkout, () => void trail.push('never'));
    expect(await events.dispatchNow(new Checkout(8))).toEqual([]);
    expect(trail).toEqual(['reserve 8']);
    expect(memory.pushes).toBe(0);
  });

  it('runs the sequence during dispatch on the sync connection, stopping at false', async () => {
    const app = new Application({ report: () => undefined });
    configureQueues(app, { default: 'sync', connections: { sync: new SyncDriver() } });
    const events = app.make(EventDispatcher);
    events.listen(Checkout, [ReserveStock, SendReceipt], { sequential: true });
    await events.dispatch(new Checkout(9));
    halting.add(10);
    await events.dispatch(new Checkout(10));
    expect(trail).toEqual(['reserve 9', 'receipt 9', 'reserve 10']);
  });

  it('runs the sequence at once before configureQueues(), stopping at false', async () => {
    const events = new Application().make(EventDispatcher);
    events.listen(Checkout, [ReserveStock, SendReceipt], { sequential: true });
    await events.dispatch(new Checkout(11));
    halting.add(12);
    await events.dispatch(new Checkout(12));
    expect(trail).toEqual(['reserve 11', 'receipt 11', 'reserve 12']);
  });

  it('runs a sequence without a queued listener inline, like any listeners', async () => {
    const { events, memory } = setUp();
    events.listen(Checkout, [UpdateDashboard, () => false, () => void trail.push('never')], { sequential: true });
    await events.dispatch(new Checkout(13));
    expect(trail).toEqual(['dashboard 13']);
    expect(memory.pushes).toBe(0);
  });

  it('refuses a function or an object in a queued sequence: it could not travel to a worker', () => {
    const { events } = setUp();
    expect(() => events.listen(Checkout, [ReserveStock, () => undefined], { sequential: true })).toThrow(
      expect.objectContaining({ constructor: InvalidListenerError, code: 'E_LISTENER_NOT_QUEUEABLE' }),
    );
    expect(() => events.listen(Checkout, [new UpdateDashboard(), ReserveStock], { sequential: true })).toThrow(
      expect.objectContaining({ code: 'E_LISTENER_NOT_QUEUEABLE' }),
    );
  });
});
