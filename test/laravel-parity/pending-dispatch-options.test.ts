import { Dispatcher, InvalidChainError, ShouldQueue } from '@epilogue/bus';
import { Application, InvalidCallbackError } from '@epilogue/core';
import { configureQueues, MemoryDriver, QueuedJob, Worker } from '@epilogue/queue';
import { startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { waitFor } from '@epilogue-internal/test-support/waits';

const ran: string[] = [];

@ShouldQueue()
class Step extends QueuedJob {
  queue?: string;
  delay?: number;
  constructor(public label: string) {
    super();
  }
  handle() {
    ran.push(this.label);
  }
}

@ShouldQueue()
class Delayed extends Step {
  override delay = 60;
}

function queuedApp() {
  const app = new Application({ report: () => undefined });
  const memory = new MemoryDriver();
  configureQueues(app, { default: 'memory', connections: { memory } });
  return { app, memory };
}

async function work(app: Application, queues = ['default']): Promise<string[]> {
  const seen: string[] = [];
  const worker = new Worker(app, { stopWhenEmpty: true, queues });
  worker.on('processing', ({ queue }) => seen.push(queue));
  await worker.run();
  return ran.map((label, i) => `${label}@${seen[i]}`);
}

afterEach(stopWorkers);

beforeEach(() => {
  ran.length = 0;
});

describe('PendingDispatch.chain() and allOnQueue()/allOnConnection(), as Laravel has them', () => {
  it('dispatch(...).chain([...]) runs the job, then the chained ones in order; falsy entries are dropped', async () => {
    const { app } = queuedApp();
    await expect(Step.dispatch('first').chain([new Step('second'), false, new Step('third')])).resolves.toBeUndefined();
    expect(await work(app)).toEqual(['first@default', 'second@default', 'third@default']);
  });

  it('allOnQueue() sends the job and every chained job without a queue of its own to that queue', async () => {
    const { app } = queuedApp();
    const own = Object.assign(new Step('own'), { queue: 'low' });
    await Step.dispatch('first').chain([new Step('second'), own]).allOnQueue('imports');
    expect(await work(app, ['imports', 'low'])).toEqual(['first@imports', 'second@imports', 'own@low']);
  });

  it('allOnConnection() and allOnQueue() on a chain are its onConnection() and onQueue()', async () => {
    const { app, memory } = queuedApp();
    const other = new MemoryDriver();
    configureQueues(app, { default: 'memory', connections: { memory, other } });
    await app.make(Dispatcher).chain([new Step('a'), new Step('b')]).allOnConnection('other').allOnQueue('q').dispatch();
    expect(await other.size('q')).toBe(1);
    expect(await memory.size('default')).toBe(0);
  });

  it('chain() with afterResponse() is refused with InvalidChainError', async () => {
    queuedApp();
    const pending = Step.dispatch('first').chain([new Step('second')]).afterResponse();
    await expect(pending).rejects.toBeInstanceOf(InvalidChainError);
  });
});

describe('when()/unless() on dispatches, chains and batches, and withoutDelay()', () => {
  it('when() calls its callback with the pending dispatch and the value when truthy, else the fallback', async () => {
    const { app } = queuedApp();
    const seen: unknown[] = [];
    await Step.dispatch('urgent').when('high', (pending, queue) => {
      seen.push(queue);
      pending.onQueue(queue as string);
    });
    await Step.dispatch('calm').when(
      0,
      (pending) => pending.onQueue('high'),
      (pending) => pending.onQueue('low'),
    );
    await Step.dispatch('test').unless((pending) => pending.job.label === 'test', (pending) => pending.onQueue('high'));
    expect(seen).toEqual(['high']);
    expect(await work(app, ['high', 'low', 'default'])).toEqual(['urgent@high', 'calm@low', 'test@default']);
  });

  it('on a chain and a batch as well', async () => {
    const { app } = queuedApp();
    const bus = app.make(Dispatcher);
    await bus.chain([new Step('a')]).when(true, (chain) => chain.onQueue('high')).dispatch();
    await bus.batch([new Step('b')]).unless(false, (batch) => batch.onQueue('low')).dispatch();
    expect(await work(app, ['high', 'low'])).toEqual(['a@high', 'b@low']);
  });

  it('a callback that is not a function is refused with InvalidCallbackError', () => {
    queuedApp();
    const pending = Step.dispatch('x');
    expect(() => pending.when(true, 'onQueue' as never)).toThrow(InvalidCallbackError);
  });

  it('withoutDelay() pushes a job at once whatever its own delay field says', async () => {
    const { app, memory } = queuedApp();
    await Delayed.dispatch('now').withoutDelay();
    await Delayed.dispatch('later');
    const worker = startWorker(app);
    await waitFor('the undelayed job', () => ran.length === 1);
    await worker.stop();
    expect(ran).toEqual(['now']);
    expect(await memory.size('default')).toBe(1);
  });
});
