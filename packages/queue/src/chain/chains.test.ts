import {
  ChainCatchNotQueueableError,
  Dispatcher,
  Job,
  ShouldQueue,
  type ChainCatchJob,
  type ChainFailure,
} from '@epilogue/bus';
import { Application, EpilogueError, type ErrorContext } from '@epilogue/core';
import {
  configureQueues,
  JobNotRegisteredError,
  JobNotSerializableError,
  MemoryDriver,
  QueuedJob,
  SyncDriver,
  UnknownConnectionError,
  Worker,
  type QueueDriver,
  type WorkerOptions,
} from '@epilogue/queue';
import { waitFor } from '@epilogue-internal/test-support/waits';

// Waits for `test`, named by its source in the failure.
const until = (test: () => boolean | Promise<boolean>, ms = 2000) => waitFor(String(test), test, ms);

const trail: string[] = [];
const caught: { to: string; failure?: ChainFailure }[] = [];

class CodedError extends EpilogueError {}

@ShouldQueue()
class Step extends QueuedJob {
  constructor(public label: string) {
    super();
  }
  handle() {
    trail.push(this.label);
    return this.label;
  }
}

@ShouldQueue()
class ReleasesOnce extends QueuedJob {
  tries = 3;
  constructor(public label: string) {
    super();
  }
  handle() {
    trail.push(`${this.label} attempt ${this.attempts()}`);
    if (this.attempts() === 1) this.release();
  }
}

@ShouldQueue()
class ThrowsOnce extends QueuedJob {
  tries = 2;
  constructor(public label: string) {
    super();
  }
  handle() {
    trail.push(`${this.label} attempt ${this.attempts()}`);
    if (this.attempts() === 1) throw new Error(`${this.label} flaked`);
  }
}

@ShouldQueue()
class Fails extends QueuedJob {
  tries = 2;
  static failing = true;
  constructor(public label: string) {
    super();
  }
  handle() {
    trail.push(`${this.label} attempt ${this.attempts()}`);
    if (Fails.failing) throw new CodedError('E_IMPORT_BROKEN', `${this.label} broke`);
  }
  failed(error: unknown) {
    trail.push(`failed() ${(error as Error).message}`);
  }
}

@ShouldQueue()
class Deletes extends QueuedJob {
  handle() {
    trail.push('deleted');
    this.delete();
  }
}

@ShouldQueue()
class Notify extends Job implements ChainCatchJob {
  chainFailure?: ChainFailure;
  constructor(public to: string) {
    super();
  }
  handle() {
    trail.push(`notify ${this.to}`);
    caught.push({ to: this.to, failure: this.chainFailure });
  }
}

@ShouldQueue()
class Holds extends Job {
  constructor(public thing: unknown) {
    super();
  }
  handle() {
    trail.push('holds');
  }
}

class NotRegistered extends Job {
  handle() {}
}

interface Push {
  connection: string;
  job: string;
  queue: string;
  delayMs: number;
  after: string[];
}

let app: Application;

function setup(options: { signingKey?: string } = {}) {
  trail.length = 0;
  caught.length = 0;
  Fails.failing = true;
  const reports: { error: unknown; context: ErrorContext }[] = [];
  app = new Application({ report: (error, context) => reports.push({ error, context }) });
  const memory = new MemoryDriver();
  const other = new MemoryDriver();
  const sync = new SyncDriver();
  const pushes: Push[] = [];
  for (const [name, driver] of Object.entries({ memory, other, sync })) record(driver, name, pushes);
  const manager = configureQueues(app, { default: 'memory', connections: { memory, other, sync }, ...options });
  return { app, reports, memory, other, sync, pushes, manager, bus: app.make(Dispatcher) };
}

// Records each push with what had run by then, to show that a job is pushed only after the one before it ran.
function record(driver: QueueDriver, connection: string, pushes: Push[]) {
  const push = driver.push.bind(driver);
  driver.push = (body, options) => {
    const payload = JSON.parse(body.startsWith('{"sig"') ? body.replace(/^\{"sig":"[^"]*",/, '{') : body);
    const job = payload.data.label ?? payload.data.to ?? payload.job;
    pushes.push({ connection, job, queue: options.queue, delayMs: options.delayMs ?? 0, after: [...trail] });
    return push(body, options);
  };
}

function work(options: WorkerOptions = {}) {
  return new Worker(app, { stopWhenEmpty: true, ...options }).run();
}

describe('queued chains', () => {
  it('pushes each job only once the one before it completed, and runs them in order on a worker', async () => {
    const { bus, memory, pushes } = setup();
    await bus.chain([new Step('a'), new Step('b'), new Step('c')]).dispatch();
    expect(await memory.size('default')).toBe(1);
    await expect(work({ concurrency: 4 })).resolves.toEqual({ reason: 'empty', jobs: 3, stopTimedOut: false });
    expect(trail).toEqual(['a', 'b', 'c']);
    expect(pushes.map((p) => [p.job, p.after])).toEqual([
      ['a', []],
      ['b', ['a']],
      ['c', ['a', 'b']],
    ]);
  });

  it('goes on with the chain on whichever worker takes the next job', async () => {
    setup();
    await Step.withChain([new Step('b'), new Step('c')]).dispatch('a');
    const workers = [new Worker(app), new Worker(app)];
    const running = workers.map((worker) => worker.run());
    await until(() => trail.length === 3);
    await Promise.all(workers.map((worker) => worker.stop()));
    await Promise.all(running);
    expect(trail).toEqual(['a', 'b', 'c']);
  });

  it('does not go on when the job released itself, and goes on once when it later completes', async () => {
    const { bus, pushes } = setup();
    await bus.chain([new ReleasesOnce('r'), new Step('b')]).dispatch();
    await work();
    expect(trail).toEqual(['r attempt 1', 'r attempt 2', 'b']);
    expect(pushes.map((p) => p.job)).toEqual(['r', 'b']);
  });

  it('goes on once after a job that threw was retried and then succeeded', async () => {
    const { bus, pushes, reports } = setup();
    await bus.chain([new ThrowsOnce('t'), new Step('b')]).dispatch();
    await work();
    expect(trail).toEqual(['t attempt 1', 't attempt 2', 'b']);
    expect(pushes.map((p) => p.job)).toEqual(['t', 'b']);
    expect(reports.map((r) => (r.error as Error).message)).toEqual(['t flaked']);
  });

  it('stops when a job fails for good: its failed() hook, then the catch job, run once, with the failure', async () => {
    const { bus, manager, reports } = setup();
    await bus
      .chain([new Step('a'), new Fails('f'), new Step('never')])
      .catch(new Notify('ops'))
      .dispatch();
    await work();
    expect(trail).toEqual(['a', 'f attempt 1', 'f attempt 2', 'failed() f broke', 'notify ops']);
    const [record] = await manager.failedJobs().list();
    expect(caught).toEqual([
      {
        to: 'ops',
        failure: {
          job: 'Fails',
          id: record.id,
          error: { name: 'CodedError', message: 'f broke', code: 'E_IMPORT_BROKEN' },
        },
      },
    ]);
    expect(await manager.failedJobs().list()).toHaveLength(1);
    expect(reports.map((r) => r.context.phase)).toEqual(['job', 'job']);
  });

  it('runs the catch jobs when the first job fails, and when the last one does', async () => {
    const { bus } = setup();
    const first = bus.chain([new Fails('first'), new Step('never')]);
    await first.catch(new Notify('one')).catch(new Notify('two')).dispatch();
    await bus.chain([new Step('a'), new Fails('last')]).catch(new Notify('three')).dispatch();
    await work();
    expect(caught.map((c) => [c.to, c.failure?.error.message])).toEqual([
      ['one', 'first broke'],
      ['two', 'first broke'],
      ['three', 'last broke'],
    ]);
    expect(trail).not.toContain('never');
  });

  it('ends the chain quietly when a job deletes itself', async () => {
    const { bus, manager } = setup();
    await bus.chain([new Deletes(), new Step('never')]).catch(new Notify('ops')).dispatch();
    await work();
    expect(trail).toEqual(['deleted']);
    expect(await manager.failedJobs().list()).toEqual([]);
  });

  it('sends every job to the chain’s connection, queue and delay, unless the job sets its own', async () => {
    const { bus, pushes } = setup();
    const b = Object.assign(new Step('b'), { queue: 'own' });
    const c = Object.assign(new Step('c'), { delay: 0, connection: 'memory' });
    await bus
      .chain([new Step('a'), b, c, new Fails('f')])
      .onConnection('other')
      .onQueue('imports')
      .delay(0.01)
      .catch(new Notify('ops'))
      .dispatch();
    const workers = [
      new Worker(app, { connection: 'other', queues: ['imports', 'own'] }),
      new Worker(app, { queues: ['imports'] }),
    ];
    const running = workers.map((worker) => worker.run());
    await until(() => caught.length === 1);
    await Promise.all(workers.map((worker) => worker.stop()));
    await Promise.all(running);
    expect(pushes.map(({ job, connection, queue, delayMs }) => [job, connection, queue, delayMs])).toEqual([
      ['a', 'other', 'imports', 10],
      ['b', 'other', 'own', 10],
      ['c', 'memory', 'imports', 0],
      ['f', 'other', 'imports', 10],
      // A catch job takes the chain's connection and queue, but waits only when it says so.
      ['ops', 'other', 'imports', 0],
    ]);
  });

  it('refuses a function catch at dispatch, on every queue connection, and pushes nothing', async () => {
    const { bus, pushes } = setup();
    await expect(bus.chain([new Step('a')]).catch(() => undefined).dispatch()).rejects.toBeInstanceOf(
      ChainCatchNotQueueableError,
    );
    const onSync = bus.chain([new Step('a')]).onConnection('sync').catch(() => undefined);
    await expect(onSync.dispatch()).rejects.toThrow(/Pass a job instead/);
    expect(pushes).toEqual([]);
    expect(trail).toEqual([]);
  });

  it('refuses at dispatch a later job that cannot be queued, naming the field, and pushes nothing', async () => {
    const { bus, pushes } = setup();
    const dispatched = bus.chain([new Step('a'), new Holds({ ok: 1, socket: () => 1 })]).dispatch();
    await expect(dispatched).rejects.toBeInstanceOf(JobNotSerializableError);
    await expect(dispatched).rejects.toMatchObject({ path: 'thing.socket', message: expect.stringMatching(/^Holds/) });
    await expect(bus.chain([new Step('a'), new NotRegistered()]).dispatch()).rejects.toBeInstanceOf(
      JobNotRegisteredError,
    );
    const unregisteredCatch = bus.chain([new Step('a')]).catch(new NotRegistered());
    await expect(unregisteredCatch.dispatch()).rejects.toBeInstanceOf(JobNotRegisteredError);
    const elsewhere = Object.assign(new Step('b'), { connection: 'nowhere' });
    await expect(bus.chain([new Step('a'), elsewhere]).dispatch()).rejects.toBeInstanceOf(UnknownConnectionError);
    await expect(bus.chain([new Step('a'), new Step('b')]).delay(-1).dispatch()).rejects.toThrow(/delay/);
    expect(pushes).toEqual([]);
  });

  it('fails the attempt when the next job cannot be pushed, so the chain is never dropped silently', async () => {
    const { bus, other, manager } = setup();
    const b = Object.assign(new Step('b'), { connection: 'other' });
    await bus.chain([new Step('a'), b]).catch(new Notify('ops')).dispatch();
    await other.close();
    await work();
    expect(trail).toEqual(['a', 'notify ops']);
    expect(caught[0].failure).toMatchObject({ job: 'Step', error: { name: 'DriverClosedError' } });
    const [record] = await manager.failedJobs().list();
    expect(record.exception).toMatch(/^\[E_DRIVER_CLOSED\]/);
  });

  it('goes on with the chain when its failed job is retried from the failed store', async () => {
    const { bus, manager } = setup();
    await bus.chain([new Fails('f'), new Step('b')]).dispatch();
    await work();
    const [record] = await manager.failedJobs().list();
    Fails.failing = false;
    await manager.failedJobs().retry(record.id);
    await work();
    expect(trail).toEqual(['f attempt 1', 'f attempt 2', 'failed() f broke', 'f attempt 1', 'b']);
  });

  it('signs the payload of each next job when a signing key is configured', async () => {
    const { bus, memory } = setup({ signingKey: 'chain-test-key-of-at-least-32-bytes!' });
    await bus.chain([new Step('a'), new Step('b'), new Step('c')]).dispatch();
    await work();
    expect(trail).toEqual(['a', 'b', 'c']);
    expect(await memory.failedJobs.list()).toEqual([]);
  });
});

describe('tampered chains', () => {
  it('refuses a payload whose chain is malformed or names an unknown job: it never runs and is failed', async () => {
    const { memory, manager } = setup();
    const valid = JSON.parse(
      manager.payloads.encode(new Step('a'), manager.chains.encode({ jobs: [new Step('b')], catch: [new Notify('x')] }))
        .body,
    );
    const tamper = (change: (payload: any) => void) => {
      const payload = structuredClone(valid);
      change(payload);
      return JSON.stringify(payload);
    };
    const poison: [string, string][] = [
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain = 'next'))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.next = {}))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.extra = []))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => delete p.chain.catch)],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.next[0].delay = -1))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.next[0].queue = ''))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.next[0].connection = 7))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.next[0].eval = 'x'))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.next[0].payload.id = 7))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.next[0].payload.v = 2))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.next[0].payload.chain = { next: [], catch: [] }))],
      ['E_PAYLOAD_MALFORMED', tamper((p) => (p.chain.catch[0].payload = null))],
      ['E_PAYLOAD_UNKNOWN_JOB', tamper((p) => (p.chain.next[0].payload.job = 'child_process'))],
      ['E_PAYLOAD_UNKNOWN_JOB', tamper((p) => (p.chain.catch[0].payload.job = 'Function'))],
      ['E_PAYLOAD_FORBIDDEN_KEY', tamper((p) => (p.chain.next[0].payload.data = JSON.parse('{"__proto__":{"x":1}}')))],
    ];
    for (const [index, [, body]] of poison.entries()) await memory.push(body, { queue: 'default', id: `p${index}` });

    await expect(work({ concurrency: 4 })).resolves.toEqual({ reason: 'empty', jobs: poison.length, stopTimedOut: false });

    expect(trail).toEqual([]);
    const failed = await manager.failedJobs().list();
    for (const [index, [code]] of poison.entries()) {
      const record = failed.find((r) => r.id === `p${index}`);
      expect([index, record?.exception.slice(0, code.length + 2)]).toEqual([index, `[${code}]`]);
    }
  });
});

describe('chains on the sync connection', () => {
  it('runs the whole chain during dispatch, in order', async () => {
    const { bus } = setup();
    await bus.chain([new Step('a'), new Step('b'), new Step('c')]).onConnection('sync').dispatch();
    expect(trail).toEqual(['a', 'b', 'c']);
  });

  it('rejects dispatch with the error of a later job that failed, after its catch job ran once', async () => {
    const { bus, sync, reports } = setup();
    const dispatched = bus
      .chain([new Step('a'), new Fails('f'), new Step('never')])
      .onConnection('sync')
      .catch(new Notify('ops'))
      .dispatch();
    await expect(dispatched).rejects.toThrow('f broke');
    expect(trail).toEqual(['a', 'f attempt 1', 'f attempt 2', 'failed() f broke', 'notify ops']);
    const failed = await sync.failedJobs.list();
    expect(failed).toHaveLength(1);
    expect(caught[0].failure).toMatchObject({ job: 'Fails', id: failed[0].id });
    // The first attempt's error is reported as on a worker; the final one goes to the caller.
    expect(reports.map((r) => (r.error as Error).message)).toEqual(['f broke']);
  });

  it('rejects dispatch when the first job fails, after the catch job ran once', async () => {
    setup();
    const dispatched = Fails.withChain([new Step('never')]).onConnection('sync').catch(new Notify('ops')).dispatch('f');
    await expect(dispatched).rejects.toThrow('f broke');
    expect(caught.map((c) => c.to)).toEqual(['ops']);
    expect(trail).not.toContain('never');
  });

  it('reports a later job that failed on the sync connection when its chain came from a worker', async () => {
    const { bus, reports } = setup();
    const f = Object.assign(new Fails('f'), { connection: 'sync' });
    await bus.chain([new Step('a'), f, new Step('never')]).catch(new Notify('ops')).dispatch();
    await work();
    expect(trail).toEqual(['a', 'f attempt 1', 'f attempt 2', 'failed() f broke', 'notify ops']);
    expect(reports.map((r) => [r.context.phase, (r.error as Error).message])).toEqual([
      ['job', 'f broke'],
      ['queue-chain', 'f broke'],
    ]);
  });
});
