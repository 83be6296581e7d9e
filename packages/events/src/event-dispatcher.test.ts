import { ShouldQueue } from '@epilogue/bus';
import { Application, injectable, type ErrorContext } from '@epilogue/core';
import {
  EventDispatcher,
  InvalidEventError,
  InvalidListenerError,
  InvalidSubscriberError,
  type EventKey,
  type SubscribedListener,
  type Subscriber,
} from '@epilogue/events';

const trail: string[] = [];

class OrderEvent {
  constructor(public orderId: number) {}
}
class OrderShipped extends OrderEvent {}
class OrderCancelled extends OrderEvent {
  static eventName = 'orders.cancelled';
}

class Greeting {
  text = 'hello';
}

@injectable()
class RecordsWithGreeting {
  constructor(public greeting: Greeting) {}
  handle(event: OrderEvent) {
    trail.push(`${this.greeting.text} ${event.orderId}`);
    return 'class';
  }
}

class InvokedListener {
  __invoke(event: OrderEvent) {
    trail.push(`invoked ${event.orderId}`);
    return 'invoked';
  }
}

function setUp() {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  return { app, events: app.make(EventDispatcher), reports };
}

beforeEach(() => {
  trail.length = 0;
});

describe('EventDispatcher', () => {
  it('is one per application, and injectable in constructors', () => {
    @injectable()
    class Checkout {
      constructor(public events: EventDispatcher) {}
    }
    const { app, events } = setUp();
    expect(app.make(EventDispatcher)).toBe(events);
    expect(app.make(Checkout).events).toBe(events);
    expect(new Application().make(EventDispatcher)).not.toBe(events);
  });

  it('calls a function, an object with handle() or __invoke(), and a class built by the container', async () => {
    const { events } = setUp();
    events.listen(OrderShipped, (event) => {
      trail.push(`function ${event.orderId}`);
      return 'function';
    });
    events.listen(OrderShipped, { handle: (event: OrderShipped) => trail.push(`object ${event.orderId}`) && 'object' });
    events.listen(OrderShipped, new InvokedListener());
    events.listen(OrderShipped, RecordsWithGreeting);

    const results = await events.dispatch(new OrderShipped(7));

    expect(trail).toEqual(['function 7', 'object 7', 'invoked 7', 'hello 7']);
    expect(results).toEqual(['function', 'object', 'invoked', 'class']);
  });

  it('builds a listener class anew for every event, in the current scope', async () => {
    const { app, events } = setUp();
    const built: RecordsWithGreeting[] = [];
    events.listen(OrderShipped, RecordsWithGreeting);
    events.listen(OrderShipped, () => void built.push(app.make(RecordsWithGreeting)));
    await events.dispatch(new OrderShipped(1));
    await events.dispatch(new OrderShipped(2));
    expect(built[0]).not.toBe(built[1]);
  });

  it('runs listeners in registration order, whatever key they were registered under', async () => {
    const { events } = setUp();
    events.listen('orders.*', (name) => void trail.push(`wildcard ${name}`));
    events.listen(OrderEvent, () => void trail.push('parent'));
    events.listen(OrderShipped, () => void trail.push('own class'));
    events.listen('OrderShipped', () => void trail.push('name'));
    events.listen('*', () => void trail.push('everything'));

    await events.dispatch(new OrderShipped(1));

    expect(trail).toEqual(['parent', 'own class', 'name', 'everything']);
  });

  it('lets listeners of a parent class hear its subclasses, not the other way round', async () => {
    const { events } = setUp();
    events.listen(OrderEvent, (event) => void trail.push(`parent heard ${event.constructor.name}`));
    events.listen(OrderShipped, () => void trail.push('shipped heard it'));
    await events.dispatch(new OrderShipped(1));
    await events.dispatch(new OrderEvent(2));
    expect(trail).toEqual(['parent heard OrderShipped', 'shipped heard it', 'parent heard OrderEvent']);
  });

  it('gives wildcard listeners the event name and the payload; name listeners only the payload', async () => {
    const { events } = setUp();
    const heard: unknown[] = [];
    events.listen('orders.*', (name, payload) => void heard.push(['wildcard', name, payload]));
    events.listen('orders.shipped', (payload) => void heard.push(['name', payload]));

    await events.dispatch('orders.shipped', { orderId: 3 });
    await events.dispatch('invoices.paid', { invoiceId: 4 });

    expect(heard).toEqual([
      ['wildcard', 'orders.shipped', { orderId: 3 }],
      ['name', { orderId: 3 }],
    ]);
  });

  it('matches wildcards against an event class by its eventName, else its class name', async () => {
    const { events } = setUp();
    const heard: unknown[] = [];
    events.listen('orders.*', (name, event) => void heard.push([name, event]));
    events.listen('Order*', (name) => void heard.push(name));
    const cancelled = new OrderCancelled(5);
    await events.dispatch(cancelled);
    await events.dispatch(new OrderShipped(6));
    expect(heard).toEqual([['orders.cancelled', cancelled], 'OrderShipped']);
  });

  it('takes a list of events, and a list of listeners run in the order given', async () => {
    const { events } = setUp();
    events.listen([OrderShipped, 'invoices.paid'], [() => void trail.push('a'), () => void trail.push('b')]);
    await events.dispatch(new OrderShipped(1));
    await events.dispatch('invoices.paid');
    expect(trail).toEqual(['a', 'b', 'a', 'b']);
  });

  it('stops propagation when a listener returns false, leaving the false out of the results', async () => {
    const { events } = setUp();
    events.listen(OrderShipped, () => 'first');
    events.listen(OrderShipped, () => false);
    events.listen(OrderShipped, () => void trail.push('never'));
    expect(await events.dispatch(new OrderShipped(1))).toEqual(['first']);
    expect(trail).toEqual([]);
  });

  it('treats only false as a halt: other falsy results are results', async () => {
    const { events } = setUp();
    events.listen('tick', () => 0);
    events.listen('tick', () => null);
    events.listen('tick', () => undefined);
    events.listen('tick', () => '');
    expect(await events.dispatch('tick')).toEqual([0, null, undefined, '']);
  });

  it('until() resolves to the first result that is not null or undefined, and runs no listener after it', async () => {
    const { events } = setUp();
    events.listen(OrderShipped, () => undefined);
    events.listen(OrderShipped, () => null);
    events.listen(OrderShipped, async () => 'answer');
    events.listen(OrderShipped, () => void trail.push('never'));
    expect(await events.until(new OrderShipped(1))).toBe('answer');
    expect(trail).toEqual([]);
  });

  it('until() answers false when a listener halts with it, and undefined when nobody answers', async () => {
    const { events } = setUp();
    events.listen('halts', () => false);
    events.listen('halts', () => 'never');
    events.listen('silent', () => undefined);
    expect(await events.until('halts')).toBe(false);
    expect(await events.until('silent')).toBeUndefined();
    expect(await events.until('nobody')).toBeUndefined();
  });

  it('awaits async listeners one after another, in order', async () => {
    const { events } = setUp();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    events.listen(OrderShipped, async () => {
      trail.push('first starts');
      await gate;
      trail.push('first ends');
      return 1;
    });
    events.listen(OrderShipped, () => {
      trail.push('second');
      return 2;
    });
    const dispatched = events.dispatch(new OrderShipped(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(trail).toEqual(['first starts']);
    release();
    expect(await dispatched).toEqual([1, 2]);
    expect(trail).toEqual(['first starts', 'first ends', 'second']);
  });

  it('lets an async listener halt with a promise of false', async () => {
    const { events } = setUp();
    events.listen(OrderShipped, async () => false);
    events.listen(OrderShipped, () => void trail.push('never'));
    expect(await events.dispatch(new OrderShipped(1))).toEqual([]);
    expect(trail).toEqual([]);
  });

  it('passes a listener error to the caller, and runs no listener after it', async () => {
    const { events } = setUp();
    const broken = new Error('mail server down');
    events.listen(OrderShipped, () => void trail.push('before'));
    events.listen(OrderShipped, async () => {
      throw broken;
    });
    events.listen(OrderShipped, () => void trail.push('after'));
    await expect(events.dispatch(new OrderShipped(1))).rejects.toBe(broken);
    expect(trail).toEqual(['before']);
  });

  it('resolves to an empty list when nobody listens', async () => {
    const { events } = setUp();
    expect(await events.dispatch(new OrderShipped(1))).toEqual([]);
    expect(await events.dispatch('orders.shipped')).toEqual([]);
  });

  it('uses the listeners registered when the dispatch began', async () => {
    const { events } = setUp();
    events.listen(OrderShipped, () => {
      events.listen(OrderShipped, () => void trail.push('added during the dispatch'));
      return 'first';
    });
    expect(await events.dispatch(new OrderShipped(1))).toEqual(['first']);
    expect(trail).toEqual([]);
  });
});

describe('hasListeners, getListeners, forget', () => {
  it('tells whether an event class, object or name has listeners, its parents and wildcards included', () => {
    const { events } = setUp();
    expect(events.hasListeners(OrderShipped)).toBe(false);
    events.listen(OrderEvent, () => undefined);
    events.listen('invoices.*', () => undefined);
    expect(events.hasListeners(OrderShipped)).toBe(true);
    expect(events.hasListeners(new OrderCancelled(1))).toBe(true);
    expect(events.hasListeners('invoices.paid')).toBe(true);
    expect(events.hasListeners('orders.shipped')).toBe(false);
  });

  it('lists the listeners that would hear an event, as given, in the order they run', () => {
    const { events } = setUp();
    const first = () => undefined;
    events.listen(OrderEvent, first);
    events.listen(OrderShipped, RecordsWithGreeting);
    events.listen(OrderCancelled, () => undefined);
    expect(events.getListeners(OrderShipped)).toEqual([first, RecordsWithGreeting]);
  });

  it('forgets the listeners of exactly one key: a class, a name or a wildcard', async () => {
    const { events } = setUp();
    events.listen(OrderEvent, () => void trail.push('parent'));
    events.listen(OrderShipped, () => void trail.push('shipped'));
    events.listen('orders.*', () => void trail.push('wildcard'));
    events.forget(OrderShipped);
    await events.dispatch(new OrderShipped(1));
    events.forget('orders.*');
    await events.dispatch('orders.placed');
    expect(trail).toEqual(['parent']);
  });

  it('removes the listeners of one listen() call with the function it returns', async () => {
    const { events } = setUp();
    const stop = events.listen([OrderShipped, 'orders.placed'], () => void trail.push('removed'));
    events.listen(OrderShipped, () => void trail.push('kept'));
    stop();
    stop();
    await events.dispatch(new OrderShipped(1));
    await events.dispatch('orders.placed');
    expect(trail).toEqual(['kept']);
  });
});

describe('subscribe', () => {
  it('registers the listeners of a subscriber class built by the container', async () => {
    const { events } = setUp();
    @injectable()
    class OrderSubscriber implements Subscriber {
      constructor(private greeting: Greeting) {}
      subscribe(dispatcher: EventDispatcher) {
        dispatcher.listen(OrderShipped, (event) => void trail.push(`${this.greeting.text} shipped ${event.orderId}`));
        dispatcher.listen('orders.placed', RecordsWithGreeting);
      }
    }
    events.subscribe(OrderSubscriber);
    await events.dispatch(new OrderShipped(1));
    await events.dispatch('orders.placed', new OrderEvent(2));
    expect(trail).toEqual(['hello shipped 1', 'hello 2']);
  });

  it('registers the listeners of a subscriber object', async () => {
    const { events } = setUp();
    events.subscribe({ subscribe: (dispatcher) => dispatcher.listen('ping', () => 'pong') });
    expect(await events.dispatch('ping')).toEqual(['pong']);
  });

  it('refuses what has no subscribe() method', () => {
    const { events } = setUp();
    for (const value of [{}, class NotASubscriber {}, null, 'subscriber']) {
      expect(() => events.subscribe(value as never)).toThrow(InvalidSubscriberError);
    }
  });
});

describe('bad input', () => {
  it('refuses to dispatch what is not an event object or a name', async () => {
    const { events } = setUp();
    for (const value of [42, null, undefined, '', { orderId: 1 }, [1], () => 1]) {
      await expect(events.dispatch(value as never)).rejects.toMatchObject({
        constructor: InvalidEventError,
        code: 'E_INVALID_EVENT',
      });
    }
    expect(() => events.dispatchAfterResponse(42 as never)).toThrow(InvalidEventError);
  });

  it('refuses to listen to what is not an event class, a name or a list of them', () => {
    const { events } = setUp();
    for (const value of [42, null, '', [], [OrderShipped, 3], {}]) {
      expect(() => events.listen(value as never, () => undefined)).toThrow(
        expect.objectContaining({ code: 'E_INVALID_EVENT_KEY' }),
      );
    }
  });

  it('refuses a listener that is not a function, an object with handle() or __invoke(), or such a class', () => {
    const { events } = setUp();
    for (const value of [42, null, {}, { handle: 'no' }, class NoHandle {}, []]) {
      expect(() => events.listen(OrderShipped, value as never)).toThrow(
        expect.objectContaining({ constructor: InvalidListenerError, code: 'E_INVALID_LISTENER' }),
      );
    }
  });

  it('refuses an instance of a queued listener class: a worker builds its own', () => {
    @ShouldQueue()
    class QueuedMailer {
      handle() {}
    }
    const { events } = setUp();
    expect(() => events.listen(OrderShipped, new QueuedMailer())).toThrow(
      expect.objectContaining({ code: 'E_QUEUED_LISTENER_INSTANCE', message: expect.stringContaining('pass the class') }),
    );
  });

  it('refuses a sequential option that is not a boolean', () => {
    const { events } = setUp();
    expect(() => events.listen(OrderShipped, () => undefined, { sequential: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_LISTEN_OPTION' }),
    );
  });
});

describe('dispatchAfterResponse', () => {
  it('dispatches once the current scope ends, not before', async () => {
    const { app, events } = setUp();
    events.listen(OrderShipped, (event) => void trail.push(`listener ${event.orderId}`));
    await app.runInScope(async () => {
      events.dispatchAfterResponse(new OrderShipped(1));
      trail.push('response sent');
    });
    expect(trail).toEqual(['response sent', 'listener 1']);
  });

  it('outside any scope, dispatches at app.terminate()', async () => {
    const { app, events } = setUp();
    events.listen('orders.placed', (payload) => void trail.push(`placed ${String(payload)}`));
    events.dispatchAfterResponse('orders.placed', 9);
    expect(trail).toEqual([]);
    await app.terminate();
    expect(trail).toEqual(['placed 9']);
  });

  it('reports a listener error with the event, instead of throwing it', async () => {
    const { app, events, reports } = setUp();
    const broken = new Error('broken');
    events.listen(OrderShipped, () => {
      throw broken;
    });
    await app.runInScope(async () => events.dispatchAfterResponse(new OrderShipped(1)));
    expect(reports).toHaveLength(1);
    expect(reports[0].error).toBe(broken);
    expect(reports[0].context).toMatchObject({ phase: 'terminating', callback: 'event OrderShipped' });
  });
});

describe('defer', () => {
  it('holds the events dispatched inside and dispatches them, in order, after the callback returned', async () => {
    const { events } = setUp();
    events.listen('*', (name) => void trail.push(`heard ${name}`));
    const result = await events.defer(async () => {
      expect(await events.dispatch('orders.placed')).toEqual([]);
      expect(await events.until('orders.paid')).toBeUndefined();
      trail.push('callback done');
      return 'result';
    });
    expect(result).toBe('result');
    expect(trail).toEqual(['callback done', 'heard orders.placed', 'heard orders.paid']);
  });

  it('drops the held events when the callback throws', async () => {
    const { events } = setUp();
    events.listen('*', (name) => void trail.push(`heard ${name}`));
    const broken = new Error('rolled back');
    await expect(
      events.defer(async () => {
        await events.dispatch('orders.placed');
        throw broken;
      }),
    ).rejects.toBe(broken);
    await events.dispatch('after');
    expect(trail).toEqual(['heard after']);
  });

  it('holds only the events given, and dispatches the others at once', async () => {
    const { events } = setUp();
    events.listen('*', (name) => void trail.push(`heard ${name}`));
    await events.defer(async () => {
      await events.dispatch(new OrderShipped(1));
      await events.dispatch('invoices.paid');
      await events.dispatch('orders.placed');
      trail.push('callback done');
    }, [OrderEvent, 'orders.*']);
    expect(trail).toEqual(['heard invoices.paid', 'callback done', 'heard OrderShipped', 'heard orders.placed']);
  });

  it('keeps concurrent defers apart: each holds and releases only its own events', async () => {
    const { events } = setUp();
    events.listen('*', (name) => void trail.push(name));
    let releaseA!: () => void;
    const gateA = new Promise<void>((resolve) => (releaseA = resolve));
    const a = events.defer(async () => {
      await events.dispatch('a.1');
      await gateA;
      await events.dispatch('a.2');
    });
    const b = events.defer(async () => {
      await events.dispatch('b.1');
    });
    await b;
    expect(trail).toEqual(['b.1']);
    await events.dispatch('outside');
    releaseA();
    await a;
    expect(trail).toEqual(['b.1', 'outside', 'a.1', 'a.2']);
  });

  it('releases the events of an inner defer into the outer one', async () => {
    const { events } = setUp();
    events.listen('*', (name) => void trail.push(name));
    await events.defer(async () => {
      await events.defer(async () => {
        await events.dispatch('inner');
      });
      trail.push('inner returned');
      await events.dispatch('outer');
    });
    expect(trail).toEqual(['inner returned', 'inner', 'outer']);
  });

  it('does not hold events dispatched after the callback returned, by work it left running', async () => {
    const { events } = setUp();
    events.listen('*', (name) => void trail.push(name));
    let late!: Promise<unknown>;
    let go!: () => void;
    const gate = new Promise<void>((resolve) => (go = resolve));
    await events.defer(() => {
      late = gate.then(() => events.dispatch('late'));
    });
    go();
    await late;
    expect(trail).toEqual(['late']);
  });

  it('does not hold dispatchNow()', async () => {
    const { events } = setUp();
    events.listen('*', (name) => void trail.push(name));
    await events.defer(async () => {
      await events.dispatchNow('now');
      trail.push('callback done');
    });
    expect(trail).toEqual(['now', 'callback done']);
  });
});

describe("[Class, 'method'] listeners", () => {
  @injectable()
  class ShipmentNotifications {
    static built = 0;
    constructor(public greeting: Greeting) {
      ShipmentNotifications.built++;
    }
    onShipped(event: OrderShipped) {
      trail.push(`${this.greeting.text}, shipped ${event.orderId}`);
      return 'notified';
    }
    onCancelled(event: OrderCancelled) {
      trail.push(`cancelled ${event.orderId}`);
      return false;
    }
    handle() {
      trail.push('handle is not called');
    }
  }

  beforeEach(() => {
    ShipmentNotifications.built = 0;
  });

  it('builds the class from the container for every event and calls that method, not handle()', async () => {
    const { events } = setUp();
    events.listen(OrderShipped, [ShipmentNotifications, 'onShipped']);
    expect(await events.dispatch(new OrderShipped(1))).toEqual(['notified']);
    expect(await events.dispatch(new OrderShipped(2))).toEqual(['notified']);
    expect(trail).toEqual(['hello, shipped 1', 'hello, shipped 2']);
    expect(ShipmentNotifications.built).toBe(2);
  });

  it('mixes with other listeners in a list, in order, and halts with false like any listener', async () => {
    const { events } = setUp();
    events.listen(OrderCancelled, [RecordsWithGreeting, [ShipmentNotifications, 'onCancelled'], () => trail.push('never')]);
    expect(await events.dispatch(new OrderCancelled(3))).toEqual(['class']);
    expect(trail).toEqual(['hello 3', 'cancelled 3']);
  });

  it('is listed by getListeners() as given, and removed by the function listen() returns', async () => {
    const { events } = setUp();
    const pair = [ShipmentNotifications, 'onShipped'] as const;
    const stop = events.listen(OrderShipped, pair);
    expect(events.getListeners(OrderShipped)).toEqual([pair]);
    stop();
    expect(events.hasListeners(OrderShipped)).toBe(false);
  });

  it('refuses a method the class does not have, naming the class and the method', () => {
    const { events } = setUp();
    class WithField {
      onShipped = 'not a method';
    }
    for (const [type, method] of [
      [ShipmentNotifications, 'onShiped'],
      [WithField, 'onShipped'],
    ] as const) {
      expect(() => events.listen(OrderShipped, [type, method])).toThrow(
        expect.objectContaining({
          constructor: InvalidListenerError,
          code: 'E_LISTENER_METHOD_MISSING',
          message: expect.stringContaining(`[${type.name}, '${method}'] of OrderShipped names a method ${type.name} does not have`),
        }),
      );
    }
    expect(events.hasListeners(OrderShipped)).toBe(false);
  });

  it("is a subscriber map's value: Class's method when Class has it, else the class and the subscriber's method", async () => {
    const { events } = setUp();
    class OrderSubscriber {
      onCancelled(event: OrderCancelled) {
        trail.push(`subscriber cancelled ${event.orderId}`);
      }
      subscribe() {
        return new Map<EventKey, SubscribedListener | SubscribedListener[]>([
          [OrderShipped, [ShipmentNotifications, 'onShipped']],
          [OrderCancelled, [RecordsWithGreeting, 'onCancelled']],
        ]);
      }
    }
    events.subscribe(OrderSubscriber);
    expect(await events.dispatch(new OrderShipped(4))).toEqual(['notified']);
    await events.dispatch(new OrderCancelled(5));
    expect(trail).toEqual(['hello, shipped 4', 'hello 5', 'subscriber cancelled 5']);
  });

  it('refuses a map value both the class and the subscriber have the method of, saying how to write each', () => {
    const { events } = setUp();
    const subscriber = {
      onShipped: () => undefined,
      subscribe: () => new Map([[OrderShipped, [ShipmentNotifications, 'onShipped']]]),
    };
    expect(() => events.subscribe(subscriber)).toThrow(
      expect.objectContaining({
        constructor: InvalidSubscriberError,
        message: expect.stringContaining("Write [[ShipmentNotifications, 'onShipped']] for the first"),
      }),
    );
  });
});
