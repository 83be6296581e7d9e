import { Application } from '@epilogue/core';
import {
  EventDispatcher,
  InvalidSubscriberError,
  type EventKey,
  type SubscribedListener,
  type SubscriberMap,
} from '@epilogue/events';

class OrderShipped {
  constructor(public id: number) {}
}
class OrderCancelled {
  constructor(public id: number) {}
}

const heard: string[] = [];

class RefundOrder {
  handle(event: OrderCancelled) {
    heard.push(`refund ${event.id}`);
  }
}

class OrderSubscriber {
  prefix = 'subscriber';
  onShipped(event: OrderShipped) {
    heard.push(`${this.prefix} shipped ${event.id}`);
  }
  onCancelled(event: OrderCancelled) {
    heard.push(`${this.prefix} cancelled ${event.id}`);
  }
  subscribe(): SubscriberMap {
    return new Map<EventKey, SubscribedListener | SubscribedListener[]>([
      [OrderShipped, 'onShipped'],
      [OrderCancelled, [RefundOrder, 'onCancelled']],
    ]);
  }
}

describe('an event subscriber whose subscribe() returns a map of events to listeners (as Laravel docs show)', () => {
  beforeEach(() => {
    heard.length = 0;
  });

  it('registers them: a string is a method of the subscriber, called on it; classes and functions as listen() takes', async () => {
    const events = new Application().make(EventDispatcher);
    events.subscribe(OrderSubscriber);
    await events.dispatch(new OrderShipped(1));
    await events.dispatch(new OrderCancelled(2));
    expect(heard).toEqual(['subscriber shipped 1', 'refund 2', 'subscriber cancelled 2']);
  });

  it('takes an object of event names too, and still ignores what listen() returned', async () => {
    const events = new Application().make(EventDispatcher);
    const subscriber = {
      onPaid: (payload: unknown) => heard.push(`paid ${String(payload)}`),
      subscribe(dispatcher: EventDispatcher) {
        dispatcher.listen('orders.refunded', () => void heard.push('refunded'));
        return { 'orders.paid': 'onPaid' };
      },
    };
    events.subscribe(subscriber);
    await events.dispatch('orders.paid', 7);
    await events.dispatch('orders.refunded');
    expect(heard).toEqual(['paid 7', 'refunded']);
    const unsubscribing = { subscribe: (dispatcher: EventDispatcher) => dispatcher.listen('x', () => undefined) };
    expect(() => events.subscribe(unsubscribing)).not.toThrow();
  });

  it('refuses a map that names a missing method, a promise and a list, saying what to write', () => {
    const events = new Application().make(EventDispatcher);
    expect(() => events.subscribe({ subscribe: () => ({ 'orders.paid': 'onPaid' }) })).toThrow(
      /maps an event to "onPaid", but Object has no onPaid\(\) method/,
    );
    expect(() => events.subscribe({ subscribe: async () => ({ 'orders.paid': () => undefined }) })).toThrow(
      InvalidSubscriberError,
    );
    expect(() => events.subscribe({ subscribe: () => [['orders.paid', () => undefined]] })).toThrow(/returned a list/);
  });
});
