import { Dispatcher, InvalidChainError, Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryDriver, QueuedJob, Worker } from '@epilogue/queue';

const trail: string[] = [];

@ShouldQueue()
class Step extends QueuedJob {
  constructor(public label: string) {
    super();
  }
  handle() {
    trail.push(this.label);
  }
}

class LocalStep extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    trail.push(this.label);
  }
}

describe('a chain drops its falsy entries, as Laravel does', () => {
  beforeEach(() => {
    trail.length = 0;
  });

  it('in this process: [first, condition && second, third] runs first and third when the condition is false', async () => {
    const app = new Application();
    const bus = app.make(Dispatcher);
    const sendSecond = false as boolean;
    await bus.chain([new LocalStep('first'), sendSecond && new LocalStep('second'), null, undefined, new LocalStep('third')]).dispatch();
    expect(trail).toEqual(['first', 'third']);
  });

  it('on a queue, and with Job.withChain()', async () => {
    const app = new Application();
    configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
    await app.make(Dispatcher).chain([null, new Step('a'), false, new Step('b')]).dispatch();
    await Step.withChain([undefined, new Step('d'), false]).dispatch('c');
    await new Worker(app, { stopWhenEmpty: true }).run();
    expect(trail).toEqual(['a', 'c', 'b', 'd']);
  });

  it('a chain left with no job at all is refused, as an empty one is', async () => {
    const app = new Application();
    await expect(app.make(Dispatcher).chain([null, false]).dispatch()).rejects.toBeInstanceOf(InvalidChainError);
  });
});
