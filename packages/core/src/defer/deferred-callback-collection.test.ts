import { Application, defer, DeferredCallback, DeferredCallbackCollection } from '@epilogue/core';

describe('DeferredCallbackCollection', () => {
  it('keeps only the last callback registered under a name, at its own position', async () => {
    const collection = new DeferredCallbackCollection();
    const ran: string[] = [];
    collection.add(new DeferredCallback(() => ran.push('first'), 'same'));
    collection.add(new DeferredCallback(() => ran.push('other')));
    collection.add(new DeferredCallback(() => ran.push('second'), 'same'));
    expect(collection.count()).toBe(2);
    await collection.invoke();
    expect(ran).toEqual(['other', 'second']);
    expect(collection.count()).toBe(0);
  });

  it('forgets every callback with a name', () => {
    const collection = new DeferredCallbackCollection();
    collection.add(new DeferredCallback(() => 1, 'a'));
    collection.add(new DeferredCallback(() => 2, 'b'));
    collection.forget('a');
    expect(collection.count()).toBe(1);
    expect(collection.first()?.name()).toBe('b');
  });

  it('runs only the callbacks that pass the predicate and discards the rest', async () => {
    const collection = new DeferredCallbackCollection();
    const ran: string[] = [];
    collection.add(new DeferredCallback(() => ran.push('skipped')));
    collection.add(new DeferredCallback(() => ran.push('always'), undefined, true));
    await collection.invokeWhen((callback) => callback.runsAlways);
    expect(ran).toEqual(['always']);
    expect(collection.count()).toBe(0);
  });

  it('reports a failing callback through the scope and runs the next one', async () => {
    const reports: unknown[] = [];
    const app = new Application({ report: (error) => reports.push(error) });
    const ran: string[] = [];
    await app.runInScope(() => {
      defer(() => {
        throw new Error('boom');
      });
      defer(() => ran.push('second'));
    });
    expect(ran).toEqual(['second']);
    expect(reports).toHaveLength(1);
  });

  it('offers name() and always() as chainable setters, name() and runsAlways to read', () => {
    const callback = new DeferredCallback(() => undefined).name('flush').always();
    expect(callback.name()).toBe('flush');
    expect(callback.runsAlways).toBe(true);
    expect(callback.always(false).runsAlways).toBe(false);
  });
});
