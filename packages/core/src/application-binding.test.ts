import { Application, injectable, singleton, singletonPerApplication } from '@epilogue/core';

const quiet = () => new Application({ report: () => undefined });

@singleton()
class ProcessWideSequence {
  next = 1;
  take(): number {
    return this.next++;
  }
}

@singletonPerApplication()
class Sequence {
  next = 1;
  take(): number {
    return this.next++;
  }
}

@injectable()
class Orders {
  constructor(readonly ids: Sequence) {}
}

@singletonPerApplication()
class Invoices {
  constructor(readonly ids: Sequence) {}
}

describe('singletons and applications', () => {
  it('@singleton() is one instance for every application of the process', () => {
    const first = quiet();
    const second = quiet();
    expect(first.make(ProcessWideSequence)).toBe(second.make(ProcessWideSequence));
    const taken = [first.make(ProcessWideSequence).take(), second.make(ProcessWideSequence).take()];
    expect(taken[1]).toBe(taken[0] + 1);
  });

  it('@singletonPerApplication() is one instance per application, counted on separately', () => {
    const first = quiet();
    const second = quiet();
    expect(first.make(Sequence)).not.toBe(second.make(Sequence));
    expect([first.make(Sequence).take(), first.make(Sequence).take(), second.make(Sequence).take()]).toEqual([1, 2, 1]);
  });

  it('is shared by the scopes of its application and injected into their services', async () => {
    const app = quiet();
    const outside = app.make(Sequence);
    const inScopes = await Promise.all([1, 2].map(() => app.runInScope(() => app.make(Orders).ids)));
    expect(inScopes).toEqual([outside, outside]);
    expect(app.make(Invoices).ids).toBe(outside);
    expect(app.make(Invoices)).toBe(app.make(Invoices));
  });

  it('gives way to what the application registers for the class', () => {
    const app = quiet();
    const fixed = new Sequence();
    app.container.registerInstance(Sequence, fixed);
    expect(app.make(Orders).ids).toBe(fixed);
  });
});
