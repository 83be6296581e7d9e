import { ShouldQueue } from '@epilogue/bus';
import { Application, injectable } from '@epilogue/core';
import { CallQueuedListener, EventDispatcher, InvalidEventError } from '@epilogue/events';
import { configureQueues, MemoryDriver } from '@epilogue/queue';
import {
  FakeAlreadyInstalledError,
  fakeEvents,
  fakeQueue,
  InvalidExpectationError,
  InvalidFakeOptionError,
  restoreFakes,
} from '@epilogue/testing';
import { failureOf } from '../../test/failure-of.js';

const heard: string[] = [];

class OrderShipped {
  constructor(public orderId: number) {}
}

class OrderCancelled {
  static eventName = 'orders.cancelled';
  constructor(public orderId: number) {}
}

class SendShipmentEmail {
  handle(event: OrderShipped) {
    heard.push(`email ${event.orderId}`);
    return 'emailed';
  }
}

@ShouldQueue()
class UpdateWarehouse {
  handle(event: OrderShipped) {
    heard.push(`warehouse ${event.orderId}`);
  }
}

@injectable()
class Shipping {
  constructor(private events: EventDispatcher) {}
  ship(orderId: number) {
    return this.events.dispatch(new OrderShipped(orderId));
  }
}

function setup() {
  heard.length = 0;
  const app = new Application({ report: () => undefined });
  const events = app.make(EventDispatcher);
  events.listen(OrderShipped, SendShipmentEmail);
  events.listen(OrderCancelled, (event) => heard.push(`cancelled ${event.orderId}`));
  events.listen('orders.*', (name: string) => heard.push(`wildcard ${name}`));
  return { app, events };
}

afterEach(() => restoreFakes());

describe('fakeEvents() records instead of calling listeners', () => {
  it('records every way of dispatching, runs no listener, and answers with no results', async () => {
    const { app, events } = setup();
    const fake = fakeEvents(app);
    expect(await events.dispatch(new OrderShipped(1))).toEqual([]);
    expect(await events.until(new OrderShipped(2))).toBeUndefined();
    expect(await events.dispatchNow(new OrderCancelled(3))).toEqual([]);
    events.dispatchAfterResponse('orders.archived', { orderId: 4 });
    await app.terminate();
    expect(fake.records).toEqual([
      { event: new OrderShipped(1), type: OrderShipped, name: 'OrderShipped', method: 'dispatch' },
      { event: new OrderShipped(2), type: OrderShipped, name: 'OrderShipped', method: 'until' },
      { event: new OrderCancelled(3), type: OrderCancelled, name: 'orders.cancelled', method: 'dispatchNow' },
      { event: { orderId: 4 }, type: undefined, name: 'orders.archived', method: 'dispatchAfterResponse' },
    ]);
    expect(heard).toEqual([]);
  });

  it('is seen by services that took the EventDispatcher in their constructor before the fake', async () => {
    const { app } = setup();
    const shipping = app.make(Shipping);
    const fake = fakeEvents(app);
    await shipping.ship(7);
    fake.assertDispatched(OrderShipped, (event) => event.orderId === 7);
    expect(heard).toEqual([]);
  });

  it('queues nothing for queued listeners of a faked event', async () => {
    const { app, events } = setup();
    events.listen(OrderShipped, UpdateWarehouse);
    const manager = configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
    const queue = fakeQueue(app);
    fakeEvents(app);
    await events.dispatch(new OrderShipped(1));
    queue.assertNothingPushed();
    expect(await manager.size()).toBe(0);
  });

  it('lets fakeQueue() see the queued listeners of events it does not fake, each as its job', async () => {
    const { app, events } = setup();
    events.listen(OrderShipped, UpdateWarehouse);
    configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
    const queue = fakeQueue(app);
    await events.dispatch(new OrderShipped(5));
    queue.assertPushed(CallQueuedListener, (job) => job.listener === 'UpdateWarehouse' && (job.event as OrderShipped).orderId === 5);
    expect(heard).toEqual(['email 5']);
  });

  it('fakes only the listed classes and names; the others reach their listeners', async () => {
    const { app, events } = setup();
    const fake = fakeEvents(app, { only: [OrderShipped, 'orders.archived'] });
    await events.dispatch(new OrderShipped(1));
    await events.dispatch('orders.archived');
    await events.dispatch(new OrderCancelled(2));
    expect(heard).toEqual(['cancelled 2', 'wildcard orders.cancelled']);
    expect(fake.records.map((record) => record.name)).toEqual(['OrderShipped', 'orders.archived']);
  });

  it('fakes everything except the listed events', async () => {
    const { app, events } = setup();
    const fake = fakeEvents(app, { except: ['orders.cancelled'] });
    await events.dispatch(new OrderCancelled(2));
    await events.dispatch(new OrderShipped(1));
    expect(heard).toEqual(['cancelled 2', 'wildcard orders.cancelled']);
    fake.assertNotDispatched(OrderCancelled);
    fake.assertDispatched(OrderShipped);
  });

  it('passes what is not an event to the real dispatcher, which refuses it with its typed error', async () => {
    const { app, events } = setup();
    fakeEvents(app);
    await expect(events.dispatch({ plain: true })).rejects.toThrow(InvalidEventError);
  });

  it('refuses options that are not lists of classes and names', () => {
    const { app } = setup();
    expect(() => fakeEvents(app, { only: OrderShipped as never })).toThrow(InvalidFakeOptionError);
    expect(() => fakeEvents(app, { except: [OrderShipped, 42] as never })).toThrow(/`except` option takes a list of event classes and names.*number 42/);
  });

  it('is restored: listeners run again, the instance has no own methods left, and it can be faked again', async () => {
    const { app, events } = setup();
    const fake = fakeEvents(app);
    expect(() => fakeEvents(app)).toThrow(FakeAlreadyInstalledError);
    fake.restore();
    expect(Object.getOwnPropertyNames(events)).toEqual([]);
    expect(await events.dispatch(new OrderShipped(1))).toEqual(['emailed']);
    fakeEvents(app).restore();
  });
});

describe('event assertions', () => {
  async function scenario() {
    const { app, events } = setup();
    const fake = fakeEvents(app);
    await events.dispatch(new OrderShipped(1));
    await events.dispatch(new OrderShipped(2));
    await events.dispatch('orders.archived', { orderId: 3 });
    return { fake, events };
  }

  it('assertDispatched passes by class, by name, with a predicate and with a count', async () => {
    const { fake } = await scenario();
    fake.assertDispatched(OrderShipped);
    fake.assertDispatched('OrderShipped', 2);
    fake.assertDispatched(OrderShipped, (event) => event.orderId === 2);
    fake.assertDispatched('orders.archived', (payload) => (payload as { orderId: number }).orderId === 3);
    fake.assertDispatchedTimes(OrderShipped, 2);
    expect(fake.dispatched(OrderShipped).map((event) => event.orderId)).toEqual([1, 2]);
    expect(fake.dispatched('orders.archived')).toEqual([{ orderId: 3 }]);
  });

  it('assertDispatched fails naming the event and listing what was dispatched', async () => {
    const { fake } = await scenario();
    expect(failureOf(() => fake.assertDispatched(OrderCancelled)).message).toBe(
      [
        'Expected OrderCancelled to be dispatched, but it was not.',
        'Dispatched events (3):',
        '  1. OrderShipped { orderId: 1 } (dispatch)',
        '  2. OrderShipped { orderId: 2 } (dispatch)',
        "  3. 'orders.archived' with { orderId: 3 } (dispatch)",
      ].join('\n'),
    );
    const predicate = failureOf(() => fake.assertDispatched(OrderShipped, (event) => event.orderId === 9));
    expect(predicate.message).toMatch(
      /^Expected OrderShipped to be dispatched matching the predicate, but none of the 2 OrderShipped events dispatched matched\.\n {2}predicate: /,
    );
    expect(failureOf(() => fake.assertDispatchedTimes('orders.archived', 2)).message).toMatch(
      /^Expected the event 'orders.archived' to be dispatched twice, but it was dispatched once\./,
    );
    expect(() => fake.assertDispatched(42 as never)).toThrow(InvalidExpectationError);
  });

  it('assertNotDispatched and assertNothingDispatched pass and fail', async () => {
    const { fake } = await scenario();
    fake.assertNotDispatched(OrderCancelled);
    fake.assertNotDispatched(OrderShipped, (event) => event.orderId === 9);
    expect(failureOf(() => fake.assertNotDispatched(OrderShipped, (event) => event.orderId === 2)).message).toMatch(
      /^Expected OrderShipped not to be dispatched matching the predicate, but it was:\n {2}- OrderShipped \{ orderId: 2 \} \(dispatch\)/,
    );
    expect(failureOf(() => fake.assertNothingDispatched()).message).toMatch(/^Expected nothing to be dispatched, but 3 events were:/);
    const { app } = setup();
    fakeEvents(app).assertNothingDispatched();
  });

  it('assertListening passes for a registered listener, through parent classes and wildcards too', async () => {
    const { fake, events } = await scenario();
    const audit = (name: string) => heard.push(name);
    events.listen('orders.*', audit);
    fake.assertListening(OrderShipped, SendShipmentEmail);
    fake.assertListening('orders.cancelled', audit);
    fake.assertListening(OrderCancelled, audit);
  });

  it("assertListening takes [Class, 'method'] as listen() does, comparing the class and the method", async () => {
    const { fake, events } = await scenario();
    events.listen(OrderShipped, [UpdateWarehouse, 'handle']);
    fake.assertListening(OrderShipped, [UpdateWarehouse, 'handle']);
    expect(failureOf(() => fake.assertListening(OrderCancelled, [UpdateWarehouse, 'handle'])).message).toMatch(
      /^Expected \[UpdateWarehouse, 'handle'\] to listen to OrderCancelled, but its listeners are /,
    );
  });

  it('assertListening fails naming the listeners there are', async () => {
    const { fake } = await scenario();
    const error = failureOf(() => fake.assertListening(OrderShipped, UpdateWarehouse));
    expect(error.message).toBe('Expected UpdateWarehouse to listen to OrderShipped, but its listeners are SendShipmentEmail.');
    expect([error.actual, error.expected]).toEqual([['SendShipmentEmail'], ['SendShipmentEmail', 'UpdateWarehouse']]);
    expect(failureOf(() => fake.assertListening('payments.failed', SendShipmentEmail)).message).toBe(
      "Expected SendShipmentEmail to listen to 'payments.failed', but it has no listeners.",
    );
  });
});
