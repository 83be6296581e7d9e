import { Dispatcher, Job } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { fakeBus, fakeQueue, NoAfterEachError } from '@epilogue/testing';
import { useFakes } from '@epilogue/testing/jest';

class Ping extends Job {
  handle() {
    return 'pong';
  }
}

const app = new Application({ report: () => undefined });

describe('useFakes()', () => {
  useFakes();

  it('lets a test install fakes…', async () => {
    const bus = fakeBus(app);
    fakeQueue(app);
    expect(await Ping.dispatch()).toBeUndefined();
    bus.assertDispatched(Ping);
  });

  it('…that are restored before the next test', async () => {
    expect(await Ping.dispatch()).toBe('pong');
    expect(app.make(Dispatcher).hasQueueResolver()).toBe(false);
    expect(() => fakeBus(app)).not.toThrow();
  });
});

describe('useFakes() hooks', () => {
  it('registers with the afterEach it is given', () => {
    const hooks: (() => void)[] = [];
    useFakes({ afterEach: (fn) => hooks.push(fn) });
    const other = new Application();
    fakeBus(other);
    expect(hooks).toHaveLength(1);
    hooks[0]();
    expect(() => fakeBus(other)).not.toThrow();
  });

  it('throws NoAfterEachError without a global afterEach or one given', () => {
    const global = globalThis as { afterEach?: unknown };
    const saved = global.afterEach;
    delete global.afterEach;
    try {
      expect(() => useFakes()).toThrow(NoAfterEachError);
      expect(() => useFakes()).toThrow(/useFakes\(\{ afterEach \}\)/);
    } finally {
      global.afterEach = saved;
    }
  });
});
