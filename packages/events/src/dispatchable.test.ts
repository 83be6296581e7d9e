import { ShouldQueue } from '@epilogue/bus';
import { Application, NoApplicationError } from '@epilogue/core';
import { Dispatchable, DispatchableEvent, EventDispatcher } from '@epilogue/events';
import { configureQueues, MemoryDriver, Worker } from '@epilogue/queue';

const heard: string[] = [];

class OrderShipped extends DispatchableEvent {
  constructor(
    public orderId: number,
    public express = false,
  ) {
    super();
  }
}

abstract class DomainEvent {
  readonly occurredAt = 'today';
}

class OrderCancelled extends Dispatchable(DomainEvent) {
  static eventName = 'orders.cancelled';
  constructor(public orderId: number) {
    super();
  }
}

@ShouldQueue()
class InvoicePaid extends DispatchableEvent {
  constructor(public invoiceId: number) {
    super();
  }
}

beforeEach(() => {
  heard.length = 0;
});

describe('static dispatch() on event classes, as Laravel\'s Dispatchable', () => {
  it('builds the event from the arguments and dispatches it through the current application, resolving to the results', async () => {
    const events = new Application().make(EventDispatcher);
    events.listen(OrderShipped, (event) => {
      heard.push(`shipped ${event.orderId} ${event instanceof OrderShipped} ${event.express}`);
      return 'heard';
    });
    expect(await OrderShipped.dispatch(42, true)).toEqual(['heard']);
    expect(heard).toEqual(['shipped 42 true true']);
  });

  it('keeps the base class given to Dispatchable(), and the event name', async () => {
    const events = new Application().make(EventDispatcher);
    events.listen('orders.*', (name: string, event: OrderCancelled) => heard.push(`${name} ${event.orderId} ${event.occurredAt}`));
    await OrderCancelled.dispatch(7);
    expect(heard).toEqual(['orders.cancelled 7 today']);
    expect(new OrderCancelled(1)).toBeInstanceOf(DomainEvent);
  });

  it('uses the application of the current scope, not the last one created', async () => {
    const first = new Application();
    first.make(EventDispatcher).listen(OrderShipped, () => void heard.push('first'));
    const second = new Application();
    second.make(EventDispatcher).listen(OrderShipped, () => void heard.push('second'));
    await first.createScope('job').run(() => OrderShipped.dispatch(1));
    await OrderShipped.dispatch(2);
    expect(heard).toEqual(['first', 'second']);
  });

  it('dispatchIf() and dispatchUnless() dispatch on a boolean or a test of the built event', async () => {
    const events = new Application().make(EventDispatcher);
    events.listen(OrderShipped, (event) => heard.push(`shipped ${event.orderId}`));
    expect(await OrderShipped.dispatchIf(false, 1)).toBeUndefined();
    expect(await OrderShipped.dispatchIf(true, 2)).toEqual([1]);
    expect(await OrderShipped.dispatchIf((event) => event.express, 3, true)).toEqual([2]);
    expect(await OrderShipped.dispatchUnless((event) => event.express, 4, true)).toBeUndefined();
    expect(await OrderShipped.dispatchUnless(false, 5)).toEqual([3]);
    expect(heard).toEqual(['shipped 2', 'shipped 3', 'shipped 5']);
  });

  it('queues an event class marked ShouldQueue, run by a worker', async () => {
    const app = new Application();
    configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
    app.make(EventDispatcher).listen(InvoicePaid, (event) => void heard.push(`paid ${event.invoiceId}`));
    expect(await InvoicePaid.dispatch(9)).toEqual([]);
    expect(heard).toEqual([]);
    await new Worker(app, { stopWhenEmpty: true, stopTimeoutMs: 500 }).run();
    expect(heard).toEqual(['paid 9']);
  });

  it('throws NoApplicationError when no application exists', () => {
    const app = new Application();
    Application.setInstance(undefined);
    try {
      for (const dispatching of [
        () => OrderShipped.dispatch(1),
        () => OrderShipped.dispatchIf(false, 1),
        () => OrderShipped.dispatchUnless(true, 1),
      ]) {
        expect(dispatching).toThrow(
          expect.objectContaining({
            constructor: NoApplicationError,
            code: 'E_NO_APPLICATION',
            message: expect.stringContaining("an event class's `dispatch()`"),
          }),
        );
      }
    } finally {
      Application.setInstance(app);
    }
  });
});
