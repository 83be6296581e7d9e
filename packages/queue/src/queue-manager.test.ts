import { Dispatcher, Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  configureQueues,
  InvalidJobOptionError,
  InvalidQueueConfigError,
  JobNotSerializableError,
  MemoryDriver,
  QueueManager,
  queueManager,
  QueuesNotConfiguredError,
  SyncDriver,
  UnknownConnectionError,
  Worker,
} from '@epilogue/queue';

const ran: string[] = [];

@ShouldQueue()
class Greet extends Job {
  constructor(
    public name: string,
    public extra?: unknown,
  ) {
    super();
  }
  handle() {
    ran.push(this.name);
    return `hello ${this.name}`;
  }
}

@ShouldQueue()
class Explodes extends Job {
  static failed: unknown[] = [];
  handle() {
    throw new Error('explodes');
  }
  failed(error: unknown) {
    Explodes.failed.push(error);
  }
}

class RunsNow extends Job {
  handle() {
    return 'ran now';
  }
}

function setup() {
  ran.length = 0;
  const app = new Application({ report: () => undefined });
  const memory = new MemoryDriver();
  const audio = new MemoryDriver();
  const manager = configureQueues(app, {
    default: 'memory',
    connections: { memory, audio, sync: new SyncDriver() },
  });
  return { app, memory, audio, manager, bus: app.make(Dispatcher) };
}

describe('configureQueues', () => {
  it('registers the manager in the container and as the bus’s queue resolver', async () => {
    const { app, manager, memory } = setup();
    expect(queueManager(app)).toBe(manager);
    expect(app.make(QueueManager)).toBe(manager);
    await app.runInScope(() => expect(app.make(QueueManager)).toBe(manager));
    await Greet.dispatch('ada');
    expect(await memory.size('default')).toBe(1);
  });

  it('is needed before the manager or a worker is used', () => {
    const app = new Application({ report: () => undefined });
    expect(() => queueManager(app)).toThrow(QueuesNotConfiguredError);
    expect(() => new Worker(app)).toThrow(QueuesNotConfiguredError);
  });

  it('refuses a configuration that cannot work', () => {
    const app = new Application({ report: () => undefined });
    expect(() => configureQueues(app, { default: 'memory', connections: {} })).toThrow(InvalidQueueConfigError);
    expect(() => configureQueues(app, { default: 'redis', connections: { memory: new MemoryDriver() } })).toThrow(
      /"redis" is not among the connections \(memory\)/,
    );
    expect(() => configureQueues(app, { connections: { memory: new MemoryDriver() } } as never)).toThrow(
      'configureQueues() needs `default`: the name of the connection dispatch() uses, one of memory.',
    );
    expect(() => configureQueues(app, { default: 'x', connections: { x: {} as never } })).toThrow(/not a queue driver/);
    const tiny = { default: 'm', connections: { m: new MemoryDriver() }, maxPayloadBytes: 0 };
    expect(() => configureQueues(app, tiny)).toThrow(InvalidQueueConfigError);
  });
});

describe('QueueManager', () => {
  it('sends a job to its connection and queue, as set on the job or on the PendingDispatch', async () => {
    const { memory, audio } = setup();
    await Greet.dispatch('default');
    await Greet.dispatch('podcasts').onQueue('podcasts');
    await Greet.dispatch('audio').onConnection('audio').onQueue('mp3');
    expect(await memory.size('default')).toBe(1);
    expect(await memory.size('podcasts')).toBe(1);
    expect(await audio.size('mp3')).toBe(1);
  });

  it('delays a job by its `delay` in seconds', async () => {
    const { app, memory } = setup();
    const dispatched = Date.now();
    await Greet.dispatch('later').delay(0.03);
    expect(await memory.size('default')).toBe(1);
    const worker = new Worker(app);
    let ranAt = 0;
    worker.on('processed', () => (ranAt = Date.now()));
    const running = worker.run();
    while (ran.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    await worker.stop();
    await running;
    expect(ran).toEqual(['later']);
    expect(ranAt - dispatched).toBeGreaterThanOrEqual(25);
  });

  it('refuses at dispatch a job that cannot be serialized, and pushes nothing', async () => {
    const { memory, bus } = setup();
    await expect(bus.dispatch(new Greet('x', { callback: () => 1 }))).rejects.toBeInstanceOf(JobNotSerializableError);
    const dispatched = Greet.dispatch('y', { when: new Date(), self: globalThis });
    await expect(dispatched).rejects.toMatchObject({ path: 'extra.self' });
    expect(await memory.size('default')).toBe(0);
  });

  it('refuses an unknown connection and an unusable delay at dispatch', async () => {
    const { bus } = setup();
    await expect(Greet.dispatch('x').onConnection('redis')).rejects.toBeInstanceOf(UnknownConnectionError);
    const delayed = bus.dispatch(Object.assign(new Greet('x'), { delay: -1 }));
    await expect(delayed).rejects.toBeInstanceOf(InvalidJobOptionError);
  });

  it('runs jobs on the sync connection at once, resolving to the result of a copy of the job', async () => {
    const { bus } = setup();
    const job = new Greet('sync');
    await expect(bus.dispatch(Object.assign(job, { connection: 'sync' }))).resolves.toBe('hello sync');
    expect(ran).toEqual(['sync']);
  });

  it('rejects a failing sync job after failed() ran once and the job was recorded', async () => {
    const { manager } = setup();
    Explodes.failed = [];
    await expect(Explodes.dispatch().onConnection('sync')).rejects.toThrow('explodes');
    expect(Explodes.failed).toHaveLength(1);
    expect(await manager.failedJobs('sync').list()).toHaveLength(1);
  });

  it('still runs jobs that are not ShouldQueue at once', async () => {
    const { bus } = setup();
    await expect(bus.dispatch(new RunsNow())).resolves.toBe('ran now');
  });

  it('lists its connections, answers sizes and closes every driver', async () => {
    const { manager } = setup();
    expect(manager.connectionNames()).toEqual(['memory', 'audio', 'sync']);
    expect(manager.defaultConnection).toBe('memory');
    await Greet.dispatch('a').onQueue('q');
    expect(await manager.size('q')).toBe(1);
    expect(await manager.size()).toBe(0);
    await manager.close();
    await expect(Greet.dispatch('b')).rejects.toMatchObject({ code: 'E_DRIVER_CLOSED' });
  });

  it('lets two applications share one driver, as two processes share a Redis queue', async () => {
    const shared = new MemoryDriver();
    const web = new Application({ report: () => undefined });
    const worker = new Application({ report: () => undefined });
    configureQueues(web, { default: 'shared', connections: { shared }, signingKey: 'a'.repeat(32) });
    configureQueues(worker, { default: 'shared', connections: { shared }, signingKey: 'a'.repeat(32) });
    ran.length = 0;
    await web.make(Dispatcher).dispatch(new Greet('across'));
    await new Worker(worker, { stopWhenEmpty: true }).run();
    expect(ran).toEqual(['across']);
  });

  it('refuses, on the worker, jobs signed with another key', async () => {
    const shared = new MemoryDriver();
    const web = new Application({ report: () => undefined });
    const worker = new Application({ report: () => undefined });
    configureQueues(web, { default: 'shared', connections: { shared }, signingKey: 'a'.repeat(32) });
    configureQueues(worker, { default: 'shared', connections: { shared }, signingKey: 'b'.repeat(32) });
    ran.length = 0;
    await web.make(Dispatcher).dispatch(new Greet('forged'));
    await new Worker(worker, { stopWhenEmpty: true }).run();
    expect(ran).toEqual([]);
    expect((await shared.failedJobs.list())[0].exception).toMatch(/^\[E_PAYLOAD_SIGNATURE\]/);
  });
});
