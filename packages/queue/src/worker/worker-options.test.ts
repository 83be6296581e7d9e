import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application, type ErrorContext } from '@epilogue/core';
import {
  configureQueues,
  InvalidJobProgressError,
  InvalidQueueConfigError,
  MemoryDriver,
  QueuedJob,
  SyncDriver,
  Worker,
  type JobProgress,
  type QueuedJobOptions,
} from '@epilogue/queue';

const seen: string[] = [];

@ShouldQueue()
class Reports extends QueuedJob {
  constructor(public percents: unknown[]) {
    super();
  }
  async handle() {
    for (const percent of this.percents) await this.progress(percent as number);
    seen.push('handled');
  }
}

@ShouldQueue()
class Throws extends QueuedJob implements QueuedJobOptions {
  backoff = [0];
  handle() {
    seen.push(`attempt ${this.attempts()}`);
    throw new Error('again');
  }
}

/** Throws every time, with no backoff of its own. */
@ShouldQueue()
class Breaks extends QueuedJob {
  handle() {
    throw new Error('broken');
  }
}

let app: Application;
let reports: { error: unknown; context: ErrorContext }[];

beforeEach(() => {
  seen.length = 0;
  reports = [];
  app = new Application({ report: (error, context) => reports.push({ error, context }) });
  configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver(), sync: new SyncDriver() } });
});

describe('this.progress()', () => {
  it('emits progress events from a worker, with the job and its attempt', async () => {
    await Reports.dispatch([0, 12.5, 100]);
    const worker = new Worker(app, { stopWhenEmpty: true });
    const progress: JobProgress[] = [];
    worker.on('progress', (event) => progress.push(event));
    await worker.run();
    expect(progress.map(({ name, attempts, queue, percent }) => ({ name, attempts, queue, percent }))).toEqual(
      [0, 12.5, 100].map((percent) => ({ name: 'Reports', attempts: 1, queue: 'default', percent })),
    );
    expect(seen).toEqual(['handled']);
  });

  it.each([[-1], [100.5], [Number.NaN], ['50'], [undefined]])(
    'refuses %p with InvalidJobProgressError, in a worker and outside one',
    async (value) => {
      const worker = new Worker(app, { stopWhenEmpty: true });
      const errors: unknown[] = [];
      worker.on('processed', (job) => errors.push(job.error));
      await Reports.dispatch([value]);
      await worker.run();
      expect(errors).toEqual([expect.any(InvalidJobProgressError)]);
      expect((errors[0] as InvalidJobProgressError).code).toBe('E_INVALID_JOB_PROGRESS');

      await expect(Reports.dispatchSync([value])).rejects.toBeInstanceOf(InvalidJobProgressError);
    },
  );

  it('checks the value and does nothing else outside a worker: dispatchSync, dispatchNow, the sync connection, after the response', async () => {
    await expect(Reports.dispatchSync([50])).resolves.toBeUndefined();
    await app.make(Dispatcher).dispatchNow(new Reports([25, 75]));
    await Reports.dispatch([10]).onConnection('sync');
    Reports.dispatchAfterResponse([90]);
    await app.terminate();
    expect(seen).toEqual(['handled', 'handled', 'handled', 'handled']);
    expect(reports).toEqual([]);
  });
});

describe('Worker options', () => {
  it('gives the jobs that set no tries the worker’s `tries`, and backoff as one number', async () => {
    await Throws.dispatch();
    const statuses: string[] = [];
    const worker = new Worker(app, { stopWhenEmpty: true, tries: 3, backoff: 0.01 });
    worker.on('processed', (job) => statuses.push(job.status));
    await worker.run();
    expect(seen).toEqual(['attempt 1', 'attempt 2', 'attempt 3']);
    expect(statuses).toEqual(['released', 'released', 'failed']);
  });

  it('with stopWhenEmpty waits for the jobs it released itself when its driver cannot list its queues', async () => {
    const listless = new MemoryDriver();
    // A driver without the optional waiting(): the worker knows only its own releases.
    Object.defineProperty(listless, 'waiting', { value: undefined });
    const other = new Application({ report: () => undefined });
    configureQueues(other, { default: 'listless', connections: { listless } });
    await other.make(Dispatcher).dispatch(new Breaks());
    const statuses: string[] = [];
    const worker = new Worker(other, { stopWhenEmpty: true, tries: 2, backoff: 0.1 });
    worker.on('processed', (job) => statuses.push(`${job.status} ${job.delayMs ?? ''}`.trim()));
    const waited: number[] = [];
    worker.on('waiting', ({ dueAt }) => waited.push(dueAt));
    const released = Date.now();
    await expect(worker.run()).resolves.toMatchObject({ reason: 'empty', jobs: 2 });
    expect(statuses).toEqual(['released 100', 'failed']);
    expect(waited).toEqual([expect.any(Number)]);
    expect(waited[0]).toBeGreaterThanOrEqual(released + 90);
  });

  it('stops once a job ended with the RSS over `memory`, saying how much it was', async () => {
    await Reports.dispatch([]);
    await Reports.dispatch([]);
    const summary = await new Worker(app, { memory: 1 }).run();
    expect(summary).toMatchObject({ reason: 'memory', jobs: 1, stopTimedOut: false });
    expect(summary.rssBytes).toBeGreaterThan(1024 * 1024);
  });

  it.each<[string, object]>([
    ['tries must be a whole number ≥ 0', { tries: -1 }],
    ['tries must be a whole number ≥ 0', { tries: 1.5 }],
    ['backoff must be seconds ≥ 0, or a non-empty list of them (got [])', { backoff: [] }],
    ['backoff must be seconds ≥ 0, or a non-empty list of them (got [5,-1])', { backoff: [5, -1] }],
    ['timeout must be a number > 0 (got 0)', { timeout: 0 }],
    ['memory must be a number > 0 (got NaN)', { memory: Number.NaN }],
    ['sleep must be a number > 0 (got -1)', { sleep: -1 }],
    ['rest must be seconds ≥ 0 (got -1)', { rest: -1 }],
  ])('refuses %s: %j', (message, options) => {
    expect(() => new Worker(app, options)).toThrow(InvalidQueueConfigError);
    expect(() => new Worker(app, options)).toThrow(message);
  });
});
