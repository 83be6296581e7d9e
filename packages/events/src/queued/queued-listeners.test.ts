import { ShouldQueue } from '@epilogue/bus';
import { Application, injectable, type ErrorContext } from '@epilogue/core';
import {
  DuplicateListenerNameError,
  EventDispatcher,
  EventNotRegisteredError,
  EventNotSerializableError,
  InvalidListenerError,
  InvalidQueuedOptionError,
  ListenerNotRegisteredError,
  type QueuedListenerOptions,
} from '@epilogue/events';
import {
  configureQueues,
  MemoryDriver,
  queueManager,
  registerJobs,
  SyncDriver,
  WithoutOverlapping,
  Worker,
  type JobFinished,
  type JobPayload,
} from '@epilogue/queue';
import type { DriverPushOptions, PushReceipt } from '@epilogue/queue/driver';

const trail: string[] = [];
const failures: { event: unknown; error: unknown }[] = [];

/** A memory driver that keeps what was pushed to it, to look at payloads and options. */
class RecordingDriver extends MemoryDriver {
  readonly pushed: { payload: JobPayload; options: DriverPushOptions }[] = [];
  override async push(body: string, options: DriverPushOptions): Promise<PushReceipt> {
    this.pushed.push({ payload: JSON.parse(body) as JobPayload, options });
    return super.push(body, options);
  }
}

class OrderShipped {
  constructor(
    public orderId: number,
    public notify = true,
  ) {}
}
class ExpressOrderShipped extends OrderShipped {}

class Clock {
  now() {
    return 'now';
  }
}

@ShouldQueue()
@injectable()
class SendShipmentEmail {
  constructor(private clock: Clock) {}
  handle(event: OrderShipped) {
    trail.push(`email ${event.orderId} (${event instanceof OrderShipped ? 'an OrderShipped' : 'not rebuilt'}) ${this.clock.now()}`);
    return 'sent';
  }
}

@ShouldQueue()
class NotifyWarehouse implements QueuedListenerOptions<OrderShipped> {
  connection = 'other';
  queue = 'warehouse';
  delay = 30;
  tries = 3;
  backoff() {
    return [5, 60];
  }
  retryUntil() {
    return new Date(Date.UTC(2030, 0, 1));
  }
  timeout = 20;
  handle() {}
}

@ShouldQueue()
class ShipsWhenAsked implements QueuedListenerOptions<OrderShipped> {
  async shouldQueue(event: OrderShipped) {
    return event.notify;
  }
  handle(event: OrderShipped) {
    trail.push(`asked ${event.orderId}`);
  }
}

@ShouldQueue()
class Flaky implements QueuedListenerOptions<OrderShipped> {
  tries = 2;
  handle(event: OrderShipped) {
    trail.push(`flaky ${event.orderId}`);
    if (trail.filter((entry) => entry.startsWith('flaky')).length === 1) throw new Error('first attempt fails');
  }
}

@ShouldQueue()
class AlwaysFails implements QueuedListenerOptions<OrderShipped> {
  tries = 2;
  handle(event: OrderShipped) {
    trail.push(`fails ${event.orderId}`);
    throw new Error(`cannot handle ${event.orderId}`);
  }
  failed(event: OrderShipped, error: unknown) {
    failures.push({ event, error });
  }
}

@ShouldQueue()
class AuditsEverything {
  handle(name: string, payload: unknown) {
    trail.push(`audit ${name} ${JSON.stringify(payload)}`);
  }
}

@ShouldQueue()
class ReturnsFalse {
  handle() {
    trail.push('queued returns false');
    return false;
  }
}

function setUp() {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  const memory = new RecordingDriver();
  const other = new RecordingDriver();
  configureQueues(app, { default: 'memory', connections: { memory, other, sync: new SyncDriver() } });
  return { app, events: app.make(EventDispatcher), memory, other, reports };
}

/** Runs a worker of `app` until its queue is empty; resolves to what it processed. */
async function work(app: Application, connection = 'memory', queues = ['default']): Promise<JobFinished[]> {
  const worker = new Worker(app, { connection, queues, stopWhenEmpty: true, stopTimeoutMs: 500 });
  const finished: JobFinished[] = [];
  worker.on('processed', (job) => finished.push(job));
  await worker.run();
  return finished;
}

beforeEach(() => {
  trail.length = 0;
  failures.length = 0;
});

describe('queued listeners', () => {
  it('pushes a job instead of running the listener; the worker builds it from the container and calls it', async () => {
    const { app, events, memory } = setUp();
    events.listen(OrderShipped, SendShipmentEmail);

    expect(await events.dispatch(new OrderShipped(7))).toEqual([]);
    expect(trail).toEqual([]);
    expect(memory.pushed.map(({ payload }) => [payload.job, payload.displayName])).toEqual([
      ['epilogue.events.call-queued-listener', 'SendShipmentEmail'],
    ]);

    const finished = await work(app);
    expect(finished.map(({ name, status }) => [name, status])).toEqual([['SendShipmentEmail', 'completed']]);
    expect(trail).toEqual(['email 7 (an OrderShipped) now']);
  });

  it('keeps the order of the listeners around it: inline ones run, the queued one is pushed at its place', async () => {
    const { events, memory } = setUp();
    const recording = (label: string) => () => {
      trail.push(`${label}, ${memory.pushed.length} pushed`);
      return label;
    };
    events.listen(OrderShipped, recording('before'));
    events.listen(OrderShipped, SendShipmentEmail);
    events.listen(OrderShipped, recording('after'));
    expect(await events.dispatch(new OrderShipped(1))).toEqual(['before', 'after']);
    expect(trail).toEqual(['before, 0 pushed', 'after, 1 pushed']);
  });

  it('is not pushed when an inline listener before it returned false', async () => {
    const { events, memory } = setUp();
    events.listen(OrderShipped, () => false);
    events.listen(OrderShipped, SendShipmentEmail);
    await events.dispatch(new OrderShipped(1));
    expect(memory.pushed).toEqual([]);
  });

  it("cannot halt the listeners after it: its result is the worker's, not the dispatcher's", async () => {
    const { app, events } = setUp();
    events.listen(OrderShipped, ReturnsFalse);
    events.listen(OrderShipped, () => 'still runs');
    expect(await events.dispatch(new OrderShipped(1))).toEqual(['still runs']);
    const finished = await work(app);
    expect(trail).toEqual(['queued returns false']);
    expect(finished.map((job) => job.status)).toEqual(['deleted']);
  });

  it("honours the listener's connection, queue, delay, tries, backoff, retryUntil and timeout", async () => {
    const { events, memory, other } = setUp();
    events.listen(OrderShipped, NotifyWarehouse);
    await events.dispatch(new OrderShipped(1));
    expect(memory.pushed).toEqual([]);
    expect(other.pushed).toHaveLength(1);
    const [{ payload, options }] = other.pushed;
    expect(options).toMatchObject({ queue: 'warehouse', delayMs: 30_000 });
    expect(payload).toMatchObject({
      displayName: 'NotifyWarehouse',
      maxTries: 3,
      backoff: [5, 60],
      timeout: 20,
      retryUntil: Date.UTC(2030, 0, 1),
    });
  });

  it('asks shouldQueue(event) first, and pushes nothing when it declines', async () => {
    const { app, events, memory } = setUp();
    events.listen(OrderShipped, ShipsWhenAsked);
    await events.dispatch(new OrderShipped(1, false));
    expect(memory.pushed).toEqual([]);
    await events.dispatch(new OrderShipped(2, true));
    await work(app);
    expect(trail).toEqual(['asked 2']);
  });

  it('retries a listener that throws, up to its tries', async () => {
    const { app, events } = setUp();
    events.listen(OrderShipped, Flaky);
    await events.dispatch(new OrderShipped(4));
    const finished = await work(app);
    expect(finished.map((job) => job.status)).toEqual(['released', 'completed']);
    expect(trail).toEqual(['flaky 4', 'flaky 4']);
  });

  it('calls failed(event, error) once, when the listener failed for good, and keeps the job in the failed store', async () => {
    const { app, events } = setUp();
    events.listen(OrderShipped, AlwaysFails);
    await events.dispatch(new OrderShipped(5));
    const finished = await work(app);
    expect(finished.map((job) => job.status)).toEqual(['released', 'failed']);
    expect(failures).toHaveLength(1);
    expect(failures[0].event).toEqual(new OrderShipped(5));
    expect(failures[0].event).toBeInstanceOf(OrderShipped);
    expect((failures[0].error as Error).message).toBe('cannot handle 5');
    const failed = await queueManager(app).failedJobs().list();
    expect(failed.map((job) => JSON.parse(job.payload).displayName)).toEqual(['AlwaysFails']);
  });

  it('gives a queued wildcard listener the event name and the payload', async () => {
    const { app, events } = setUp();
    events.listen('orders.*', AuditsEverything);
    await events.dispatch('orders.placed', { orderId: 3, lines: [1, 2] });
    await work(app);
    expect(trail).toEqual(['audit orders.placed {"orderId":3,"lines":[1,2]}']);
  });

  it('runs at once, before configureQueues(), as a queued job does; its false still halts nothing', async () => {
    const app = new Application();
    const events = app.make(EventDispatcher);
    events.listen(OrderShipped, ReturnsFalse);
    events.listen(OrderShipped, SendShipmentEmail);
    events.listen(OrderShipped, () => 'inline');
    expect(await events.dispatch(new OrderShipped(1))).toEqual(['inline']);
    expect(trail).toEqual(['queued returns false', 'email 1 (an OrderShipped) now']);
  });

  it('runs during dispatch on the sync connection, through the payload round trip', async () => {
    const { events } = setUp();
    @ShouldQueue()
    class SyncEmail {
      connection = 'sync';
      handle(event: OrderShipped) {
        trail.push(`sync ${event.orderId} ${event instanceof OrderShipped}`);
      }
    }
    events.listen(OrderShipped, SyncEmail);
    await events.dispatch(new OrderShipped(2));
    expect(trail).toEqual(['sync 2 true']);
  });

  it('runs inline with dispatchNow(), still asking shouldQueue()', async () => {
    const { events, memory } = setUp();
    events.listen(OrderShipped, [SendShipmentEmail, ShipsWhenAsked]);
    expect(await events.dispatchNow(new OrderShipped(3, false))).toEqual(['sent']);
    expect(memory.pushed).toEqual([]);
    expect(trail).toEqual(['email 3 (an OrderShipped) now']);
  });

  it('fails on the worker with ListenerNotRegisteredError when the worker does not listen with it', async () => {
    const { app, events, memory } = setUp();
    events.listen(OrderShipped, SendShipmentEmail);
    await events.dispatch(new OrderShipped(1));

    // The worker knows the event class, but listens with nothing.
    const worker = new Application({ report: () => undefined });
    registerJobs(worker, [OrderShipped]);
    configureQueues(worker, { default: 'memory', connections: { memory } });
    const finished = await work(worker);
    expect(finished.map((job) => job.status)).toEqual(['failed']);
    expect(finished[0].error).toBeInstanceOf(ListenerNotRegisteredError);
    expect(await queueManager(app).failedJobs().list()).toHaveLength(1);
  });
});

describe('what a worker could not build is refused at dispatch', () => {
  it('refuses an event with a field that cannot be serialized, naming the field', async () => {
    const { events, memory } = setUp();
    class WithCallback extends OrderShipped {
      callback = () => undefined;
    }
    events.listen(WithCallback, SendShipmentEmail);
    const refused = events.dispatch(new WithCallback(1));
    await expect(refused).rejects.toBeInstanceOf(EventNotSerializableError);
    await expect(refused).rejects.toMatchObject({
      code: 'E_EVENT_NOT_SERIALIZABLE',
      path: 'callback',
      message: expect.stringContaining('WithCallback cannot be queued for the listener SendShipmentEmail'),
    });
    expect(memory.pushed).toEqual([]);
  });

  it('refuses a named event whose payload cannot be serialized', async () => {
    const { events } = setUp();
    events.listen('orders.*', AuditsEverything);
    await expect(events.dispatch('orders.placed', { socket: new (class Socket {})() })).rejects.toMatchObject({
      code: 'E_EVENT_NOT_SERIALIZABLE',
      path: 'socket',
    });
  });

  it('refuses a subclass event that is not registered, as a worker could not build it', async () => {
    const { events } = setUp();
    events.listen(OrderShipped, SendShipmentEmail);
    await expect(events.dispatch(new ExpressOrderShipped(1))).rejects.toMatchObject({
      constructor: EventNotRegisteredError,
      code: 'E_EVENT_NOT_REGISTERED',
      message: expect.stringContaining('registerJobs(app, [ExpressOrderShipped])'),
    });
  });

  it('refuses unusable options, naming the listener', async () => {
    const { events } = setUp();
    @ShouldQueue()
    class BadTries {
      tries = -1;
      handle() {}
    }
    @ShouldQueue()
    class BadConnection {
      connection = 42;
      handle() {}
    }
    @ShouldQueue()
    class BadDelay {
      delay = -5;
      handle() {}
    }
    @ShouldQueue()
    class BadQueue {
      queue = '';
      handle() {}
    }
    events.listen('a', BadTries);
    events.listen('b', BadConnection);
    events.listen('c', BadDelay);
    events.listen('d', BadQueue);
    await expect(events.dispatch('a')).rejects.toMatchObject({
      constructor: InvalidQueuedOptionError,
      code: 'E_INVALID_LISTENER_OPTION',
      message: expect.stringMatching(/^The queued listener BadTries has an unusable option: tries must be/),
    });
    await expect(events.dispatch('b')).rejects.toMatchObject({ code: 'E_INVALID_LISTENER_OPTION' });
    await expect(events.dispatch('c')).rejects.toMatchObject({
      message: 'The queued listener BadDelay has an unusable option: delay must be seconds ≥ 0; got number -5. ' +
        'Fix the option (field or method) on BadDelay.',
    });
    await expect(events.dispatch('d')).rejects.toMatchObject({ code: 'E_INVALID_LISTENER_OPTION' });
  });

  it('refuses unusable options of a queued event, naming the event', async () => {
    const { events } = setUp();
    @ShouldQueue()
    class Overdue {
      tries = 1.5;
    }
    await expect(events.dispatch(new Overdue())).rejects.toMatchObject({
      constructor: InvalidQueuedOptionError,
      code: 'E_INVALID_EVENT_OPTION',
      message: expect.stringMatching(/^The queued event Overdue has an unusable option: tries must be/),
    });
  });

  it('refuses two queued listener classes with one name, and takes a listenerName instead', () => {
    const { events } = setUp();
    const first = ShouldQueue()(class Mailer { handle() {} });
    const second = ShouldQueue()(class Mailer { handle() {} });
    events.listen('a', first);
    expect(() => events.listen('b', second)).toThrow(DuplicateListenerNameError);
    const named = ShouldQueue()(class Mailer { static listenerName = 'billing.mailer'; handle() {} });
    expect(() => events.listen('b', named)).not.toThrow();
  });

  it('refuses an anonymous queued listener class', () => {
    const { events } = setUp();
    const anonymous = [class { handle() {} }][0];
    expect(() => events.listen('a', ShouldQueue()(anonymous))).toThrow(
      expect.objectContaining({ constructor: InvalidListenerError, code: 'E_ANONYMOUS_LISTENER' }),
    );
  });
});

describe('queued events', () => {
  @ShouldQueue()
  class InvoicePaid {
    queue = 'billing';
    tries = 2;
    constructor(public invoiceId: number) {}
  }

  @ShouldQueue()
  class RecordInvoice {
    handle(event: InvoicePaid) {
      trail.push(`queued listener ${event.invoiceId}`);
    }
  }

  it('pushes the event as one job, with its own options, and runs no listener now', async () => {
    const { events, memory } = setUp();
    events.listen(InvoicePaid, () => void trail.push('first'));
    events.listen(InvoicePaid, () => void trail.push('second'));
    expect(await events.dispatch(new InvoicePaid(1))).toEqual([]);
    expect(trail).toEqual([]);
    expect(memory.pushed).toHaveLength(1);
    expect(memory.pushed[0].options.queue).toBe('billing');
    expect(memory.pushed[0].payload).toMatchObject({
      job: 'epilogue.events.dispatch-queued-event',
      displayName: 'InvoicePaid',
      maxTries: 2,
    });
  });

  it('runs every listener on the worker, in order, queued ones included, in that one job; false stops the rest there', async () => {
    const { app, events } = setUp();
    events.listen(InvoicePaid, (event) => void trail.push(`first ${event.invoiceId} ${event instanceof InvoicePaid}`));
    events.listen(InvoicePaid, RecordInvoice);
    events.listen(InvoicePaid, () => false);
    events.listen(InvoicePaid, () => void trail.push('never'));
    await events.dispatch(new InvoicePaid(2));
    const finished = await work(app, 'memory', ['billing']);
    expect(finished.map(({ name, status }) => [name, status])).toEqual([['InvoicePaid', 'completed']]);
    expect(trail).toEqual(['first 2 true', 'queued listener 2']);
  });

  it('retries the whole job when a listener throws: the listeners run again from the first', async () => {
    const { app, events } = setUp();
    let attempts = 0;
    events.listen(InvoicePaid, () => void trail.push('first'));
    events.listen(InvoicePaid, () => {
      if (++attempts === 1) throw new Error('once');
      trail.push('second');
    });
    await events.dispatch(new InvoicePaid(3));
    const finished = await work(app, 'memory', ['billing']);
    expect(finished.map((job) => job.status)).toEqual(['released', 'completed']);
    expect(trail).toEqual(['first', 'first', 'second']);
  });

  it("takes the event's viaQueue(), withDelay() and middleware(), called with no argument, on the event", async () => {
    const { app, events, memory } = setUp();
    @ShouldQueue()
    class RefundIssued {
      constructor(public amount: number) {}
      viaQueue() {
        return this.amount > 100 ? 'large-refunds' : undefined;
      }
      withDelay() {
        return 0;
      }
      middleware() {
        return [(job: object, next: (job: object) => Promise<unknown>) => (trail.push(`middleware ${this.amount}`), next(job))];
      }
    }
    events.listen(RefundIssued, (event) => void trail.push(`refund ${event.amount}`));
    await events.dispatch(new RefundIssued(500));
    expect(memory.pushed.map(({ options }) => [options.queue, options.delayMs])).toEqual([['large-refunds', 0]]);
    await work(app, 'memory', ['large-refunds']);
    expect(trail).toEqual(['middleware 500', 'refund 500']);
  });

  it('refuses a subclass of a queued event that is not registered', async () => {
    const { events } = setUp();
    class LateInvoicePaid extends InvoicePaid {}
    await expect(events.dispatch(new LateInvoicePaid(1))).rejects.toBeInstanceOf(EventNotRegisteredError);
  });

  it('runs its listeners at once before configureQueues(), as a queued job does', async () => {
    const events = new Application().make(EventDispatcher);
    events.listen(InvoicePaid, (event) => void trail.push(`paid ${event.invoiceId}`));
    events.listen(InvoicePaid, () => false);
    events.listen(InvoicePaid, () => void trail.push('never'));
    expect(await events.dispatch(new InvoicePaid(4))).toEqual([]);
    expect(trail).toEqual(['paid 4']);
  });

  it('runs its listeners now with dispatchNow()', async () => {
    const { events, memory } = setUp();
    events.listen(InvoicePaid, () => 'now');
    expect(await events.dispatchNow(new InvoicePaid(1))).toEqual(['now']);
    expect(memory.pushed).toEqual([]);
  });
});

describe("a queued listener's methods, as Laravel's ShouldQueue listeners have them", () => {
  class Parcel {
    constructor(
      public id: number,
      public express = false,
    ) {}
  }

  @ShouldQueue()
  class RoutesByEvent implements QueuedListenerOptions<Parcel> {
    connection = 'memory';
    queue = 'parcels';
    delay = 60;
    viaConnection(event: Parcel) {
      return event.express ? 'other' : undefined;
    }
    viaQueue(event: Parcel) {
      return event.express ? 'express' : undefined;
    }
    withDelay(event: Parcel) {
      return event.express ? 0 : undefined;
    }
    handle(event: Parcel) {
      trail.push(`parcel ${event.id}`);
    }
  }

  it('viaConnection(event), viaQueue(event) and withDelay(event) choose where and when; undefined leaves the field', async () => {
    const { app, events, memory, other } = setUp();
    events.listen(Parcel, RoutesByEvent);
    await events.dispatch(new Parcel(1, true));
    await events.dispatch(new Parcel(2, false));
    expect(other.pushed.map(({ options }) => [options.queue, options.delayMs])).toEqual([['express', 0]]);
    expect(memory.pushed.map(({ options }) => [options.queue, options.delayMs])).toEqual([['parcels', 60_000]]);
    const finished = await work(app, 'other', ['express']);
    expect(finished.map(({ name, status }) => [name, status])).toEqual([['RoutesByEvent', 'completed']]);
    expect(trail).toEqual(['parcel 1']);
  });

  it('calls them with the event name and the payload under a wildcard', async () => {
    const { events, memory } = setUp();
    @ShouldQueue()
    class ByName {
      viaQueue(name: string, payload: { lane: string }) {
        return `${name}-${payload.lane}`;
      }
      handle() {}
    }
    events.listen('parcels.*', ByName);
    await events.dispatch('parcels.sorted', { lane: 'b' });
    expect(memory.pushed.map(({ options }) => options.queue)).toEqual(['parcels.sorted-b']);
  });

  it('runs middleware(event) on the worker around the listener; the pipes get its job, and one may hold it back', async () => {
    const { app, events } = setUp();
    @ShouldQueue()
    class Guarded implements QueuedListenerOptions<Parcel> {
      middleware(event: Parcel) {
        return [
          async (job: object, next: (job: object) => Promise<unknown>) => {
            trail.push(`outer before ${(job as { displayName(): string }).displayName()}`);
            const result = await next(job);
            trail.push(`outer after ${String(result)}`);
            return result;
          },
          (job: object, next: (job: object) => Promise<unknown>) =>
            event.express ? next(job) : void trail.push(`held back ${event.id}`),
        ];
      }
      handle(event: Parcel) {
        trail.push(`guarded ${event.id}`);
        return 'done';
      }
    }
    events.listen(Parcel, Guarded);
    await events.dispatch(new Parcel(1, true));
    await events.dispatch(new Parcel(2, false));
    expect(trail).toEqual([]);
    const finished = await work(app);
    expect(finished.map((job) => job.status)).toEqual(['completed', 'completed']);
    expect(trail).toEqual([
      'outer before Guarded',
      'guarded 1',
      'outer after done',
      'outer before Guarded',
      'held back 2',
      'outer after undefined',
    ]);
  });

  it('runs middleware(event) before configureQueues() too, when the listener runs at once', async () => {
    const events = new Application().make(EventDispatcher);
    @ShouldQueue()
    class AtOnce {
      middleware() {
        return [(job: object, next: (job: object) => Promise<unknown>) => (trail.push('middleware'), next(job))];
      }
      handle() {
        trail.push('handled');
      }
    }
    events.listen(Parcel, AtOnce);
    await events.dispatch(new Parcel(1));
    expect(trail).toEqual(['middleware', 'handled']);
  });

  it('queues nothing, and runs nothing, when shouldQueue(event) returns false', async () => {
    const { app, events, memory } = setUp();
    @ShouldQueue()
    class OnlyExpress {
      shouldQueue(event: Parcel) {
        return event.express;
      }
      viaQueue() {
        trail.push('asked for a queue');
        return 'express';
      }
      handle(event: Parcel) {
        trail.push(`express ${event.id}`);
      }
    }
    events.listen(Parcel, OnlyExpress);
    expect(await events.dispatch(new Parcel(1, false))).toEqual([]);
    expect(memory.pushed).toEqual([]);
    expect(trail).toEqual([]);
    await events.dispatch(new Parcel(2, true));
    await work(app, 'memory', ['express']);
    expect(trail).toEqual(['asked for a queue', 'express 2']);
  });

  it('refuses them declared wrongly, naming the listener and the method', async () => {
    const { app, events, memory } = setUp();
    @ShouldQueue()
    class EmptyQueue {
      viaQueue() {
        return '';
      }
      handle() {}
    }
    @ShouldQueue()
    class NegativeDelay {
      withDelay() {
        return -1;
      }
      handle() {}
    }
    @ShouldQueue()
    class ConnectionAsValue {
      viaConnection = 'other';
      handle() {}
    }
    @ShouldQueue()
    class MiddlewareAsValue {
      middleware = 'throttle';
      handle() {}
    }
    @ShouldQueue()
    class MiddlewareNotAList {
      middleware() {
        return 'throttle';
      }
      handle() {
        trail.push('never');
      }
    }
    const refused: [new () => { handle(): void }, string][] = [
      [EmptyQueue, 'viaQueue() must return a non-empty name; got an empty string.'],
      [NegativeDelay, 'withDelay() must return seconds ≥ 0; got number -1.'],
      [ConnectionAsValue, 'viaConnection must be a method, viaConnection(event), not a value'],
      [MiddlewareAsValue, 'middleware must be a method, middleware(event)'],
    ];
    for (const [listener, detail] of refused) {
      events.listen(listener.name, listener);
      await expect(events.dispatch(listener.name)).rejects.toMatchObject({
        constructor: InvalidQueuedOptionError,
        code: 'E_INVALID_LISTENER_OPTION',
        message: expect.stringContaining(`The queued listener ${listener.name} has an unusable option: ${detail}`),
      });
    }
    expect(memory.pushed).toEqual([]);

    // What middleware() returns is known only where it runs: the job fails there, naming the listener.
    events.listen('e', MiddlewareNotAList);
    await events.dispatch('e');
    const finished = await work(app);
    expect(finished.map((job) => job.status)).toEqual(['failed']);
    expect(finished[0].error).toMatchObject({
      constructor: InvalidQueuedOptionError,
      message: expect.stringContaining('MiddlewareNotAList has an unusable option: middleware() must return a list'),
    });
    expect(trail).toEqual([]);
  });
});

describe("queued [Class, 'method'] listeners", () => {
  @ShouldQueue()
  @injectable()
  class ShipmentTasks implements QueuedListenerOptions<OrderShipped> {
    queue = 'shipments';
    constructor(private clock: Clock) {}
    label(event: OrderShipped) {
      trail.push(`label ${event.orderId} ${this.clock.now()}`);
      return event.notify;
    }
    notify(event: OrderShipped) {
      trail.push(`notify ${event.orderId}`);
    }
    handle() {
      trail.push('handle is not called');
    }
  }

  it("pushes the class's job with its options; the worker builds the class and calls that method", async () => {
    const { app, events, memory } = setUp();
    events.listen(OrderShipped, [ShipmentTasks, 'notify']);
    expect(await events.dispatch(new OrderShipped(8))).toEqual([]);
    expect(memory.pushed.map(({ payload, options }) => [payload.displayName, options.queue])).toEqual([
      ['ShipmentTasks.notify', 'shipments'],
    ]);
    const finished = await work(app, 'memory', ['shipments']);
    expect(finished.map(({ name, status }) => [name, status])).toEqual([['ShipmentTasks.notify', 'completed']]);
    expect(trail).toEqual(['notify 8']);
  });

  it('runs in a sequence: the next method is queued only after the one before it did not return false', async () => {
    const { app, events } = setUp();
    events.listen(OrderShipped, [[ShipmentTasks, 'label'], [ShipmentTasks, 'notify']], { sequential: true });
    await events.dispatch(new OrderShipped(1, false));
    await events.dispatch(new OrderShipped(2, true));
    const finished = await work(app, 'memory', ['shipments']);
    expect(finished.map(({ name, status }) => `${name} ${status}`)).toEqual([
      'ShipmentTasks.label deleted',
      'ShipmentTasks.label completed',
      'ShipmentTasks.notify completed',
    ]);
    expect(trail).toEqual(['label 1 now', 'label 2 now', 'notify 2']);
  });

  it('runs inline with dispatchNow()', async () => {
    const { events, memory } = setUp();
    events.listen(OrderShipped, [ShipmentTasks, 'notify']);
    await events.dispatchNow(new OrderShipped(9));
    expect(memory.pushed).toEqual([]);
    expect(trail).toEqual(['notify 9']);
  });
});

describe('job middleware of two queued listeners', () => {
  it("keys WithoutOverlapping by the listener: one listener's lock never holds back another's", async () => {
    const { app, events } = setUp();
    let opened!: () => void;
    const gate = new Promise<void>((resolve) => (opened = resolve));
    @ShouldQueue()
    class ReserveStock {
      middleware(event: OrderShipped) {
        return [new WithoutOverlapping(event.orderId).dontRelease()];
      }
      async handle(event: OrderShipped) {
        trail.push(`reserve ${event.orderId} holds its lock`);
        await gate; // opened once the other listener's job finished, whatever became of it
      }
    }
    @ShouldQueue()
    class InvoiceOrder {
      middleware(event: OrderShipped) {
        return [new WithoutOverlapping(event.orderId).dontRelease()];
      }
      handle(event: OrderShipped) {
        trail.push(`invoice ${event.orderId}`);
      }
    }
    events.listen(OrderShipped, [ReserveStock, InvoiceOrder]);
    await events.dispatch(new OrderShipped(6));
    const worker = new Worker(app, { connection: 'memory', concurrency: 2, stopWhenEmpty: true, stopTimeoutMs: 500 });
    const finished: JobFinished[] = [];
    worker.on('processed', (job) => {
      finished.push(job);
      if (job.name === 'InvoiceOrder') opened();
    });
    await worker.run();
    expect(finished.map(({ name, status }) => `${name} ${status}`)).toEqual(['InvoiceOrder completed', 'ReserveStock completed']);
    expect(trail).toEqual(['reserve 6 holds its lock', 'invoice 6']);
  });
});
