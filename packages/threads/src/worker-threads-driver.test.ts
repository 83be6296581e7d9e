import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application, type ErrorContext } from '@epilogue/core';
import {
  configureQueues,
  DriverClosedError,
  MemoryFailedJobStore,
  QueuedJob,
  type FailedJobRecord,
} from '@epilogue/queue';
import { describeQueueDriver } from '@epilogue/queue/testing';
import { InvalidThreadsOptionError, WorkerThreadsDriver, type WorkerThreadsDriverOptions } from '@epilogue/threads';

// The jobs run in fixtures/jobs-app.mjs on the threads; these classes of the same names only
// declare the queue options the main thread writes into their payloads.
@ShouldQueue()
class Square extends QueuedJob {
  constructor(
    public n: number,
    public ms = 0,
  ) {
    super();
  }
  handle() {}
}

@ShouldQueue()
class Gate extends QueuedJob {
  constructor(public key: string) {
    super();
  }
  handle() {}
}

@ShouldQueue()
class Flaky extends QueuedJob {
  tries = 3;
  backoff = [0.1, 0.2];
  constructor(public succeedOn: number) {
    super();
  }
  handle() {}
}

@ShouldQueue()
class Spin extends QueuedJob {
  tries = 2;
  timeout = 0.2;
  handle() {}
}

@ShouldQueue()
class Crash extends QueuedJob {
  tries = 2;
  constructor(
    public mode: 'exit' | 'uncaught',
    public crashes: number,
  ) {
    super();
  }
  handle() {}
}

@ShouldQueue()
class Step extends QueuedJob {
  constructor(public label: string) {
    super();
  }
  handle() {}
}

const fixture = (name: string) => join(__dirname, 'fixtures', name);
const JOBS_APP = fixture('jobs-app.mjs');
// How long a wait may take on a loaded machine (threads start and load the app module first):
// far above what the tests need, so that a slow machine only makes them slower.
const LOADED_MS = 15_000;

interface Told {
  job: string;
  threadId: number;
  [key: string]: unknown;
}

let told: Told[];
let channel: BroadcastChannel;
let apps: Application[];

beforeEach(() => {
  told = [];
  apps = [];
  channel = new BroadcastChannel('epilogue-threads-fixture');
  channel.onmessage = (event) => told.push((event as { data: Told }).data);
});

afterEach(async () => {
  await Promise.all(apps.map((app) => app.shutdown({ timeoutMs: LOADED_MS })));
  channel.close();
});

function setup(options: Partial<WorkerThreadsDriverOptions> = {}) {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  apps.push(app);
  const failedJobs = new MemoryFailedJobStore();
  const threads = new WorkerThreadsDriver({ app: JOBS_APP, threads: 2, failedJobs, ...options });
  configureQueues(app, { default: 'threads', connections: { threads } });
  return { app, reports, threads, failedJobs, bus: app.make(Dispatcher) };
}

async function until<T>(what: string, test: () => T | undefined | false | Promise<T | undefined | false>, ms = LOADED_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await test();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; told: ${JSON.stringify(told)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const of = (job: string) => told.filter((event) => event.job === job);
const arrived = () => of('Gate').filter((event) => event.arrived);
const passed = () => of('Gate').filter((event) => event.passed);
const release = (...keys: string[]) => keys.forEach((key) => channel.postMessage({ release: key }));
const failedRecord = (store: MemoryFailedJobStore) => async (): Promise<FailedJobRecord | undefined> =>
  (await store.list())[0];

describe('WorkerThreadsDriver', () => {
  it('runs a dispatched job on another thread, while the main thread stays free', async () => {
    setup();
    const id = await Square.dispatch(7, 150);
    expect(typeof id).toBe('string');
    // The job burns 150 ms of CPU; the main thread's timers keep firing meanwhile.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const [event] = await until('the square', () => of('Square').length > 0 && of('Square'));
    clearInterval(ticker);
    expect(event).toMatchObject({ n: 7, result: 49 });
    expect(event.threadId).not.toBe(threadId);
    expect(ticks).toBeGreaterThan(5);
  });

  it('runs jobs on as many threads as it has, at once', async () => {
    setup({ threads: 2 });
    await Promise.all([Gate.dispatch('a'), Gate.dispatch('b')]);
    // Neither job can end before the test releases it: both arriving means both run at once.
    await until('both gates to be reached', () => arrived().length === 2);
    expect(passed()).toEqual([]);
    const [a, b] = arrived();
    expect(new Set([a.key, b.key])).toEqual(new Set(['a', 'b']));
    expect(a.threadId).not.toBe(b.threadId);
    release('a', 'b');
    await until('both gates to be passed', () => passed().length === 2);
  });

  it('retries a job that throws after its backoff, on the thread, then completes it', async () => {
    const { failedJobs } = setup();
    await Flaky.dispatch(3);
    await until('three attempts', () => of('Flaky').length === 3);
    const [first, second, third] = of('Flaky') as (Told & { attempt: number; at: number })[];
    expect([first.attempt, second.attempt, third.attempt]).toEqual([1, 2, 3]);
    expect(second.at - first.at).toBeGreaterThanOrEqual(95);
    expect(third.at - second.at).toBeGreaterThanOrEqual(195);
    expect(await failedJobs.list()).toEqual([]);
  });

  it('stops the thread of a job past its timeout, retries it on a new thread, then fails it with failed()', async () => {
    const { failedJobs, threads } = setup({ threads: 1 });
    const id = (await Spin.dispatch()) as unknown as string;
    const record = await until('the failed record', failedRecord(failedJobs));
    expect(record).toMatchObject({ id, queue: 'default' });
    expect(record.exception).toMatch(/E_JOB_TIMED_OUT/);
    const attempts = of('Spin').filter((event) => 'attempt' in event);
    expect(attempts.map((event) => event.attempt)).toEqual([1, 2]);
    // One thread: each attempt's thread was stopped, and failed() ran on yet another one.
    const failed = await until('failed()', () => of('Spin').find((event) => 'failed' in event));
    expect(failed.failed).toBe('E_JOB_TIMED_OUT');
    expect(new Set([...attempts, failed].map((event) => event.threadId)).size).toBe(3);
    // The pool still works.
    await Square.dispatch(3);
    await until('a square after the timeouts', () => of('Square').length === 1);
    expect(await threads.size('default')).toBe(0);
  });

  it.each(['exit', 'uncaught'] as const)(
    'replaces a thread that dies (%s) and runs the job again by its tries',
    async (mode) => {
      const { failedJobs } = setup({ threads: 1 });
      await Crash.dispatch(mode, 1);
      await until('the second attempt', () => of('Crash').length === 2);
      const [first, second] = of('Crash');
      expect([first.attempt, second.attempt]).toEqual([1, 2]);
      expect(second.threadId).not.toBe(first.threadId);
      expect(await failedJobs.list()).toEqual([]);
    },
  );

  it('fails a job that kills its thread on every try into the failed store, with failed()', async () => {
    const { failedJobs } = setup({ threads: 1 });
    await Crash.dispatch('exit', 5);
    const record = await until('the failed record', failedRecord(failedJobs));
    expect(record.exception).toMatch(/E_THREAD_CRASHED[^]*worker exited with code: 3/);
    expect(of('Crash').filter((event) => 'attempt' in event)).toHaveLength(2);
    const failed = await until('failed()', () => of('Crash').find((event) => 'failed' in event));
    expect(failed.failed).toBe('E_THREAD_CRASHED');
  });

  it('runs a chain in order, each next job pushed from its thread to the main queue', async () => {
    const { bus } = setup();
    await bus.chain([new Step('a'), new Step('b'), new Step('c')]).dispatch();
    await until('three steps', () => of('Step').length === 3);
    expect(of('Step').map((event) => event.label)).toEqual(['a', 'b', 'c']);
  });

  it('fails jobs with a typed error when the module does not configure the connection', async () => {
    const { failedJobs } = setup({ app: fixture('other-connection.mjs') });
    await Square.dispatch(2);
    const record = await until('the failed record', failedRecord(failedJobs));
    expect(record.exception).toMatch(/E_THREAD_MODULE_CONNECTION[^]*"threads" connection/);
  });

  it('ends with app.shutdown(): runs the jobs that are ready, then refuses pushes and reports delayed ones', async () => {
    const { app, threads, reports } = setup({ threads: 1, closeTimeoutMs: LOADED_MS });
    await Square.dispatch(1, 50);
    await Square.dispatch(2, 50);
    await Square.dispatch(3, 50);
    await threads.push('{}', { queue: 'later', delayMs: 60_000 });
    await app.shutdown({ timeoutMs: LOADED_MS });
    // The pool is gone: whatever ran, ran during the shutdown (its news may still be on its way).
    await until('three squares', () => of('Square').length === 3);
    expect(of('Square').map((event) => event.n)).toEqual([1, 2, 3]);
    await expect(threads.push('{}', { queue: 'default' })).rejects.toBeInstanceOf(DriverClosedError);
    const codes = reports.map((report) => (report.error as { code?: string }).code);
    expect(codes).toEqual(['E_THREADS_JOBS_LEFT']);
    expect((reports[0].error as Error).message).toMatch(/never ran \(1 on "later"\)/);
  });

  it('ends its running jobs in app.shutdown() before the onShutdown hooks run', async () => {
    const { app, threads, reports } = setup({ threads: 1 });
    const trail: string[] = [];
    app.onShutdown(() => trail.push('hook'));
    await Gate.dispatch('held');
    await until('the job to run', () => arrived().length === 1);
    const done = app.shutdown({ timeoutMs: LOADED_MS }).then(() => trail.push('shut down'));
    // Pushes are refused once the driver closes: the shutdown has reached the queue connections,
    // and the hooks must still wait for the job. (Each probe accepted before that stays delayed.)
    const refused = () =>
      threads.push('{}', { queue: 'probe', delayMs: 3_600_000 }).then(
        () => false,
        (error: unknown) => error instanceof DriverClosedError,
      );
    await until('the driver to close', refused);
    expect(trail).toEqual([]);
    trail.push('released');
    release('held');
    await done;
    expect(trail).toEqual(['released', 'hook', 'shut down']);
    await until('the gate to be passed', () => passed().length === 1);
    // Nothing went wrong, but for the probes left delayed.
    expect(reports.filter((report) => (report.error as { code?: string }).code !== 'E_THREADS_JOBS_LEFT')).toEqual([]);
  });

  it('stops taking ready jobs at closeTimeoutMs, lets the running one finish, and reports the rest', async () => {
    const closeTimeoutMs = 30;
    const { threads, reports } = setup({ threads: 1, closeTimeoutMs });
    await Gate.dispatch('running');
    for (const n of [1, 2]) await Square.dispatch(n);
    await until('the first job to run', () => arrived().length === 1);
    const trail: string[] = [];
    const closed = threads.close().then(() => trail.push('closed'));
    // This wait orders, it does not time: timers fire in the order of their deadlines, so once
    // it ends, however late, the close timer (due earlier) has fired while the gate held the
    // only thread.
    await new Promise((resolve) => setTimeout(resolve, closeTimeoutMs + 1));
    expect(trail).toEqual([]);
    trail.push('released');
    release('running');
    await closed;
    expect(trail).toEqual(['released', 'closed']);
    await until('the gate to be passed', () => passed().length === 1);
    expect(of('Square')).toEqual([]);
    const left = reports.find((report) => (report.error as { code?: string }).code === 'E_THREADS_JOBS_LEFT');
    expect((left?.error as Error).message).toMatch(/never ran \(2 on "default"\)/);
  });

  it('starts every thread with start(), ready for the first job', async () => {
    const { threads } = setup({ threads: 2 });
    await threads.start();
    await until('both threads to load the module', () => of('load').length === 2);
    await Square.dispatch(8);
    const [event] = await until('the square', () => of('Square').length > 0 && of('Square'));
    expect(event.result).toBe(64);
    // It ran on a thread start() had readied: none loaded the module for it (a thread tells
    // that it loaded before anything it runs).
    expect(of('load').map((load) => load.threadId)).toContain(event.threadId);
    expect(of('load')).toHaveLength(2);
  });

  it('rejects start() with the reason when the threads cannot run the connection', async () => {
    await expect(new WorkerThreadsDriver({ app: JOBS_APP }).start()).rejects.toMatchObject({ code: 'E_NO_CONSUMER' });
    const { threads } = setup({ app: fixture('other-connection.mjs'), threads: 1 });
    await expect(threads.start()).rejects.toMatchObject({ code: 'E_THREAD_MODULE_CONNECTION' });
  });

  it('lets a program that imports the same module exit after app.shutdown()', async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [fixture('main-process.mjs')], { timeout: LOADED_MS }, (_error, stdout, stderr) =>
        resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
    expect(run).toEqual({ code: 0, stdout: '{"result":36,"onThread":true}\n', stderr: '' });
  });

  it('refuses options it cannot work with, with a typed error', () => {
    const bad: [unknown, RegExp][] = [
      [undefined, /`options` must be an object/],
      [{ app: '' }, /`app` must be a module path or a file: URL/],
      [{ app: new URL('https://example.com/app.js') }, /`app` must be/],
      [{ app: './no/such/module.js' }, /names no file: nothing at .*no\/such\/module\.js/],
      [{ app: JOBS_APP, threads: 0 }, /`threads` must be a whole number ≥ 1; got number 0/],
      [{ app: JOBS_APP, threads: 1.5 }, /`threads` must be/],
      [{ app: JOBS_APP, queues: ['ok', ''] }, /`queues` must be a list of queue names/],
      [{ app: JOBS_APP, failedJobs: {} }, /`failedJobs` must be a FailedJobStore/],
      [{ app: JOBS_APP, closeTimeoutMs: -1 }, /`closeTimeoutMs` must be milliseconds ≥ 0/],
    ];
    for (const [options, message] of bad) {
      let thrown: unknown;
      try {
        new WorkerThreadsDriver(options as WorkerThreadsDriverOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidThreadsOptionError);
      expect(thrown).toMatchObject({ code: 'E_INVALID_THREADS_OPTION', message: expect.stringMatching(message) });
    }
    expect(new WorkerThreadsDriver({ app: pathToFileURL(JOBS_APP), threads: 1 }).threads).toBe(1);
  });

  it('finds the module through a symbolic link by its real path, as the threads import it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'epilogue-threads-'));
    const link = join(dir, 'linked');
    symlinkSync(join(__dirname, 'fixtures'), link);
    try {
      setup({ app: join(link, 'jobs-app.mjs') });
      await Square.dispatch(9);
      const [event] = await until('the square', () => of('Square').length > 0 && of('Square'));
      expect(event.result).toBe(81);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is the connection of one application only', () => {
    const { threads } = setup();
    expect(() => configureQueues(new Application(), { default: 't', connections: { t: threads } })).toThrow(
      /already the "threads" connection/,
    );
  });
});

// Not a connection of configureQueues(), the driver is a plain store that any consumer may take from.
describeQueueDriver('WorkerThreadsDriver', () => new WorkerThreadsDriver({ app: JOBS_APP, threads: 1 }), {
  runsOnPush: false,
});
