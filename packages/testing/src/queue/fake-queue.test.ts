import { Dispatcher, Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  configureQueues,
  InvalidJobOptionError,
  JobNotRegisteredError,
  JobNotSerializableError,
  MemoryDriver,
  QueuedJob,
  QueueManager,
  SyncDriver,
  UnknownConnectionError,
} from '@epilogue/queue';
import { FakeAlreadyInstalledError, fakeBus, fakeQueue, restoreFakes } from '@epilogue/testing';
import { failureOf } from '../../test/failure-of.js';

const ran: string[] = [];

@ShouldQueue()
class SendInvoice extends QueuedJob {
  tries = 3;
  constructor(public invoiceId: number, public dueAt?: Date) {
    super();
  }
  handle() {
    ran.push(`invoice ${this.invoiceId}`);
  }
}

@ShouldQueue()
class IndexFeed extends Job {
  constructor(public feedId: number) {
    super();
  }
  handle() {
    ran.push(`index ${this.feedId}`);
  }
}

@ShouldQueue()
class NotifyOps extends Job {
  constructor(public channel: string) {
    super();
  }
  handle() {}
}

@ShouldQueue()
class HoldsACallback extends Job {
  constructor(public onDone: () => void) {
    super();
  }
  handle() {}
}

class NotQueued extends Job {
  handle() {
    ran.push('not queued');
  }
}

const KEY = 'a-signing-key-of-at-least-32-bytes!!';

function setup() {
  ran.length = 0;
  const app = new Application({ report: () => undefined });
  const memory = new MemoryDriver();
  const manager = configureQueues(app, {
    default: 'memory',
    connections: { memory, sync: new SyncDriver() },
    signingKey: KEY,
  });
  return { app, manager, memory, dispatcher: app.make(Dispatcher) };
}

afterEach(() => restoreFakes());

describe('fakeQueue() keeps pushed jobs', () => {
  it('keeps a dispatched ShouldQueue job with its connection, queue and delay, and pushes nothing', async () => {
    const { app, manager } = setup();
    const queue = fakeQueue(app);
    const id = await SendInvoice.dispatch(42).onQueue('billing').delay(30);
    await SendInvoice.dispatch(43).onConnection('sync');
    expect(queue.records.map(({ connection, queue: name, delay }) => ({ connection, queue: name, delay }))).toEqual([
      { connection: 'memory', queue: 'billing', delay: 30 },
      { connection: 'sync', queue: 'default', delay: 0 },
    ]);
    expect(id).toBe(queue.records[0].payload.id);
    expect(await manager.size('billing')).toBe(0);
    expect(ran).toEqual([]);
  });

  it('hands assertions the job as a worker would get it: read back from its signed payload', async () => {
    const { app } = setup();
    const queue = fakeQueue(app);
    const dueAt = new Date('2030-01-01T00:00:00Z');
    const dispatched = new SendInvoice(42, dueAt);
    await app.make(Dispatcher).dispatch(dispatched);
    const [pushed] = queue.pushed(SendInvoice);
    expect(pushed).not.toBe(dispatched);
    expect(pushed).toBeInstanceOf(SendInvoice);
    expect(pushed.dueAt).toEqual(dueAt);
    expect(queue.records[0]).toMatchObject({ dispatched, payload: { job: 'SendInvoice', maxTries: 3 } });
  });

  it('makes a job that could not be queued fail its dispatch with the real typed error', async () => {
    const { app, dispatcher } = setup();
    const queue = fakeQueue(app);
    await expect(HoldsACallback.dispatch(() => undefined)).rejects.toThrow(JobNotSerializableError);
    await expect(dispatcher.dispatchToQueue(new NotQueued())).rejects.toThrow(JobNotRegisteredError);
    await expect(IndexFeed.dispatch(1).onConnection('redis')).rejects.toThrow(UnknownConnectionError);
    await expect(IndexFeed.dispatch(1).delay(-1)).rejects.toThrow(InvalidJobOptionError);
    expect(queue.failures.map(({ error }) => (error as { code: string }).code)).toEqual([
      'E_JOB_NOT_SERIALIZABLE',
      'E_JOB_NOT_REGISTERED',
      'E_UNKNOWN_CONNECTION',
      'E_INVALID_JOB_OPTION',
    ]);
    expect(queue.records).toEqual([]);
  });

  it('lists the failed pushes in assertion failures, with the first one as cause, even when nobody awaited the dispatch', async () => {
    const { app } = setup();
    const queue = fakeQueue(app);
    void HoldsACallback.dispatch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const error = failureOf(() => queue.assertPushed(HoldsACallback));
    expect(error.message.split('\n').slice(0, 3)).toEqual([
      'Expected HoldsACallback to be pushed, but it was not.',
      'Nothing was pushed.',
      'Pushes that failed, as they would on a real queue (1):',
    ]);
    expect(error.message.split('\n')[3]).toMatch(
      /^ {2}1\. HoldsACallback: JobNotSerializableError \[E_JOB_NOT_SERIALIZABLE\]: HoldsACallback cannot be queued: the field `onDone`/,
    );
    expect(error.cause).toBeInstanceOf(JobNotSerializableError);
  });

  it('keeps a queued chain with the rest of it and its catch jobs, read back too', async () => {
    const { app, dispatcher } = setup();
    const queue = fakeQueue(app);
    await dispatcher
      .chain([new IndexFeed(1), new IndexFeed(2), new SendInvoice(3)])
      .onQueue('feeds')
      .catch(new NotifyOps('#feeds'))
      .dispatch();
    await IndexFeed.withChain([new NotifyOps('#done')]).dispatch(4);
    const [first, second] = queue.records;
    expect(first).toMatchObject({ queue: 'feeds', job: new IndexFeed(1) });
    expect(first.chain?.jobs).toEqual([new IndexFeed(2), expect.any(SendInvoice)]);
    expect(first.chain?.catch).toEqual([new NotifyOps('#feeds')]);
    expect(second.chain).toEqual({ jobs: [new NotifyOps('#done')], catch: [] });
    expect(ran).toEqual([]);
  });

  it('refuses a chain whose later job could not be queued, naming the field', async () => {
    const { app, dispatcher } = setup();
    fakeQueue(app);
    const chain = dispatcher.chain([new IndexFeed(1), new HoldsACallback(() => undefined)]).dispatch();
    await expect(chain).rejects.toThrow(/HoldsACallback cannot be queued: the field `onDone`/);
  });

  it('works without configured queues: the default connection is sync, and nothing runs', async () => {
    ran.length = 0;
    const app = new Application({ report: () => undefined });
    const dispatcher = app.make(Dispatcher);
    const queue = fakeQueue(app);
    await SendInvoice.dispatch(1).onConnection('redis');
    await SendInvoice.dispatch(2);
    await dispatcher.chain([new IndexFeed(3), new IndexFeed(4)]).dispatch();
    expect(queue.records.map((record) => record.connection)).toEqual(['redis', 'sync', 'sync']);
    queue.assertPushedWithChain(IndexFeed, [new IndexFeed(4)]);
    await expect(HoldsACallback.dispatch(() => undefined)).rejects.toThrow(JobNotSerializableError);
    expect(ran).toEqual([]);
    queue.restore();
    expect(dispatcher.hasQueueResolver()).toBe(false);
    await SendInvoice.dispatch(5);
    expect(ran).toEqual(['invoice 5']);
  });
});

describe('restoring fakeQueue()', () => {
  it('puts the configured queue manager back', async () => {
    const { app, manager, dispatcher } = setup();
    const queue = fakeQueue(app);
    expect(dispatcher.queueResolver()).not.toBe(manager);
    queue.restore();
    expect(dispatcher.queueResolver()).toBe(manager);
    expect(dispatcher.queueResolver()).toBeInstanceOf(QueueManager);
    await SendInvoice.dispatch(1);
    expect(await manager.size()).toBe(1);
  });

  it('refuses a second fake on the same application until the first is restored', () => {
    const { app } = setup();
    const first = fakeQueue(app);
    expect(() => fakeQueue(app)).toThrow(FakeAlreadyInstalledError);
    first.restore();
    fakeQueue(app);
  });
});

describe('fakeQueue() with fakeBus()', () => {
  it('sees only the jobs the bus fake lets through', async () => {
    const { app } = setup();
    const bus = fakeBus(app, { except: [SendInvoice] });
    const queue = fakeQueue(app);
    await SendInvoice.dispatch(1);
    await IndexFeed.dispatch(2);
    queue.assertPushed(SendInvoice);
    queue.assertNotPushed(IndexFeed);
    bus.assertDispatched(IndexFeed);
  });
});

describe('queue assertions', () => {
  async function scenario() {
    const { app, dispatcher } = setup();
    const queue = fakeQueue(app);
    await SendInvoice.dispatch(42).onQueue('billing');
    await SendInvoice.dispatch(43).delay(60);
    await dispatcher.chain([new IndexFeed(7), new NotifyOps('#feeds')]).dispatch();
    return queue;
  }

  it('assertPushed passes for a pushed class, a predicate on the job or the push, and the exact count', async () => {
    const queue = await scenario();
    queue.assertPushed(SendInvoice);
    queue.assertPushed(SendInvoice, (job) => job.invoiceId === 43);
    queue.assertPushed(SendInvoice, (_job, pushed) => pushed.delay === 60 && pushed.connection === 'memory');
    queue.assertPushed(SendInvoice, 2);
    queue.assertPushedTimes(IndexFeed, 1);
  });

  it('assertPushed fails naming the job and listing every push with its connection, queue, delay and chain', async () => {
    const queue = await scenario();
    expect(failureOf(() => queue.assertPushed(NotifyOps)).message).toBe(
      [
        'Expected NotifyOps to be pushed, but it was not.',
        'Pushed jobs (3):',
        '  1. SendInvoice { invoiceId: 42, tries: 3, queue: \'billing\' } (memory connection, "billing" queue)',
        '  2. SendInvoice { invoiceId: 43, tries: 3, delay: 60 } (memory connection, "default" queue, delay 60 s)',
        '  3. IndexFeed { feedId: 7 } (memory connection, "default" queue, then [NotifyOps])',
      ].join('\n'),
    );
    const predicate = failureOf(() => queue.assertPushed(SendInvoice, (job) => job.invoiceId === 44));
    expect(predicate.message).toMatch(/^Expected SendInvoice to be pushed matching the predicate, but none of the 2 SendInvoice jobs pushed matched\.\n {2}predicate: /);
    const count = failureOf(() => queue.assertPushedTimes(SendInvoice, 1));
    expect(count.message).toMatch(/^Expected SendInvoice to be pushed once, but it was pushed twice\./);
    expect([count.actual, count.expected]).toEqual([2, 1]);
  });

  it('assertPushedOn passes for the queue the job went to and fails for another', async () => {
    const queue = await scenario();
    queue.assertPushedOn('billing', SendInvoice);
    queue.assertPushedOn('default', SendInvoice, (job) => job.invoiceId === 43);
    const error = failureOf(() => queue.assertPushedOn('billing', SendInvoice, (job) => job.invoiceId === 43));
    expect(error.message).toMatch(
      /^Expected SendInvoice to be pushed on the "billing" queue matching the predicate, but the SendInvoice pushed on the "billing" queue did not match\./,
    );
    expect(failureOf(() => queue.assertPushedOn('emails', IndexFeed)).message).toMatch(
      /^Expected IndexFeed to be pushed on the "emails" queue, but it was not\.\nPushed jobs \(3\):/,
    );
    expect(() => queue.assertPushedOn(SendInvoice as never, SendInvoice)).toThrow(/needs a queue name/);
  });

  it('assertNotPushed and assertNothingPushed pass when nothing (matching) was pushed, and fail listing what was', async () => {
    const queue = await scenario();
    queue.assertNotPushed(NotifyOps);
    queue.assertNotPushed(SendInvoice, (job) => job.invoiceId === 1);
    expect(failureOf(() => queue.assertNotPushed(IndexFeed)).message).toBe(
      [
        'Expected IndexFeed not to be pushed, but it was:',
        '  - IndexFeed { feedId: 7 } (memory connection, "default" queue, then [NotifyOps])',
      ].join('\n'),
    );
    expect(failureOf(() => queue.assertNothingPushed()).message).toMatch(/^Expected nothing to be pushed, but 3 jobs were:\n {2}- SendInvoice/);
    fakeQueue(new Application()).assertNothingPushed();
  });

  it('assertPushedWithChain passes for the rest of the chain by class or by equal instance, and fails with a diff', async () => {
    const queue = await scenario();
    queue.assertPushedWithChain(IndexFeed, [NotifyOps]);
    queue.assertPushedWithChain(IndexFeed, [new NotifyOps('#feeds')], (job) => job.feedId === 7);
    const error = failureOf(() => queue.assertPushedWithChain(IndexFeed, [new NotifyOps('#ops')]));
    expect(error.message).toMatch(/^Expected IndexFeed to be pushed with the chain \[NotifyOps \{ channel: '#ops' \}\], but it was pushed with \[NotifyOps\]\./);
    expect([error.expected, error.actual]).toEqual([["NotifyOps { channel: '#ops' }"], ["NotifyOps { channel: '#feeds' }"]]);
    expect(failureOf(() => queue.assertPushedWithChain(NotifyOps, [IndexFeed])).message).toMatch(
      /^Expected NotifyOps to be pushed with the chain \[IndexFeed\], but it was not pushed\./,
    );
  });

  it('assertPushedWithoutChain passes for a job pushed alone and fails for the first job of a chain', async () => {
    const queue = await scenario();
    queue.assertPushedWithoutChain(SendInvoice);
    expect(failureOf(() => queue.assertPushedWithoutChain(IndexFeed)).message).toMatch(
      /^Expected IndexFeed to be pushed without a chain, but it was not\./,
    );
  });

  it('pushed() returns the jobs read back, filtered by a predicate on the job or the push', async () => {
    const queue = await scenario();
    expect(queue.pushed(SendInvoice).map((job) => job.invoiceId)).toEqual([42, 43]);
    expect(queue.pushed(SendInvoice, (_job, pushed) => pushed.queue === 'billing').map((job) => job.invoiceId)).toEqual([42]);
  });
});
