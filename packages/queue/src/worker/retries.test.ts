import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application, defer, type ErrorContext } from '@epilogue/core';
import {
  configureQueues,
  JobMarkedFailedError,
  JobTimedOutError,
  MaxAttemptsExceededError,
  MemoryDriver,
  queueContext,
  queueManager,
  QueuedJob,
  SYNC_MAX_ATTEMPTS,
  SyncDriver,
  Worker,
  type JobFinished,
  type QueuedJobOptions,
} from '@epilogue/queue';
import { tick } from '@epilogue-internal/test-support/waits';

const clock = { now: () => 1_000_000 };
const attempts: number[] = [];
const failures: unknown[] = [];
const times: number[] = [];

/** Fails on every attempt; options are set per test. */
@ShouldQueue()
class AlwaysFails extends QueuedJob implements QueuedJobOptions {
  tries?: number;
  backoff?: number | number[];
  maxExceptions?: number;
  handle() {
    attempts.push(this.attempts());
    times.push(Date.now());
    throw new Error(`attempt ${this.attempts()} failed`);
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class FailsUntilDeadline extends QueuedJob implements QueuedJobOptions {
  tries = 1;
  retryUntil() {
    return new Date(clock.now() + 60_000);
  }
  handle() {
    attempts.push(this.attempts());
    if (this.attempts() === 3) clock.now = () => 2_000_000;
    throw new Error('not yet');
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class ReleasesThenFails extends QueuedJob implements QueuedJobOptions {
  tries = 0;
  maxExceptions = 2;
  handle() {
    attempts.push(this.attempts());
    if (this.attempts() <= 2) return this.release();
    throw new Error(`exception on attempt ${this.attempts()}`);
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class ReleasesAndThrows extends QueuedJob implements QueuedJobOptions {
  tries = 0;
  maxExceptions = 2;
  handle() {
    attempts.push(this.attempts());
    this.release();
    throw new Error(`released, then threw on attempt ${this.attempts()}`);
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class AlwaysReleases extends QueuedJob implements QueuedJobOptions {
  tries = 2;
  handle() {
    attempts.push(this.attempts());
    this.release();
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class Hangs extends QueuedJob implements QueuedJobOptions {
  timeout = 0.02;
  tries = 2;
  failOnTimeout?: boolean;
  static aborted = 0;
  async handle() {
    attempts.push(this.attempts());
    if (this.attempts() > 1 && !this.failOnTimeout) return 'fast';
    // Stops when abandoned, so nothing outlives the test.
    await new Promise((resolve) => queueContext(this)!.signal.addEventListener('abort', resolve));
    Hangs.aborted++;
    this.release(); // too late: ignored
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class Decides extends QueuedJob implements QueuedJobOptions {
  tries = 5;
  constructor(public decision: 'fail' | 'fail-plain' | 'delete-then-throw' | 'release') {
    super();
  }
  handle() {
    attempts.push(this.attempts());
    defer(() => attempts.push(-1));
    if (this.decision === 'fail') return this.fail(new RangeError('given up'));
    if (this.decision === 'fail-plain') return this.fail();
    if (this.decision === 'delete-then-throw') {
      this.delete();
      throw new Error('after delete');
    }
    if (this.attempts() === 1) return this.release(0);
    return 'second time';
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class FailsForAnHour extends QueuedJob implements QueuedJobOptions {
  retryUntil() {
    return new Date(clock.now() + 3_600_000);
  }
  handle() {
    attempts.push(this.attempts());
    throw new Error('again');
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class BrokenHook extends QueuedJob {
  handle() {
    throw new Error('job');
  }
  failed() {
    throw new Error('hook');
  }
}

let app: Application;
let reports: { error: unknown; context: ErrorContext }[];
let memory: MemoryDriver;

beforeEach(() => {
  attempts.length = 0;
  failures.length = 0;
  times.length = 0;
  clock.now = () => 1_000_000;
  reports = [];
  app = new Application({ report: (error, context) => reports.push({ error, context }) });
  memory = new MemoryDriver();
  configureQueues(app, { default: 'memory', connections: { memory, sync: new SyncDriver() }, clock });
});

async function work(): Promise<JobFinished[]> {
  const finished: JobFinished[] = [];
  const worker = new Worker(app, { stopWhenEmpty: true });
  worker.on('processed', (job) => finished.push(job));
  await worker.run();
  return finished;
}

function dispatch(job: object, options: object = {}) {
  return app.make(Dispatcher).dispatch(Object.assign(job, options));
}

async function failedRecords() {
  return memory.failedJobs.list();
}

describe('retries', () => {
  it('attempts a job without `tries` once, then calls failed() and records it', async () => {
    await AlwaysFails.dispatch();
    const finished = await work();
    expect(attempts).toEqual([1]);
    expect(finished.map((job) => job.status)).toEqual(['failed']);
    expect(failures).toEqual([expect.objectContaining({ message: 'attempt 1 failed' })]);
    const [record] = await failedRecords();
    expect(record).toMatchObject({ queue: 'default', id: finished[0].id });
    expect(record.exception).toMatch(/^Error: attempt 1 failed/);
    expect(JSON.parse(record.payload)).toMatchObject({ job: 'AlwaysFails' });
  });

  it('retries up to `tries`, then calls failed() once, and reports each exception', async () => {
    await dispatch(new AlwaysFails(), { tries: 3 });
    const finished = await work();
    expect(attempts).toEqual([1, 2, 3]);
    expect(finished.map((job) => job.status)).toEqual(['released', 'released', 'failed']);
    expect(failures).toHaveLength(1);
    expect((failures[0] as Error).message).toBe('attempt 3 failed');
    expect(await failedRecords()).toHaveLength(1);
    const messages = reports.map((r) => (r.error as Error).message);
    expect(messages).toEqual(['attempt 1 failed', 'attempt 2 failed', 'attempt 3 failed']);
    const context = { phase: 'job', scope: 'job', job: 'AlwaysFails', connection: 'memory', attempt: 1 };
    expect(reports[0].context).toMatchObject(context);
  });

  it('waits `backoff` seconds between attempts, indexed by attempt, the last repeating', async () => {
    await dispatch(new AlwaysFails(), { tries: 4, backoff: [0.01, 0.04] });
    const worker = new Worker(app);
    const running = worker.run();
    while ((await failedRecords()).length === 0) await tick(2);
    await worker.stop();
    await running;
    expect(attempts).toEqual([1, 2, 3, 4]);
    const gaps = times.slice(1).map((time, i) => time - times[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(8);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(38);
  });

  it('keeps retrying until `retryUntil`, which beats `tries`', async () => {
    await dispatch(new FailsUntilDeadline());
    const finished = await work();
    expect(attempts).toEqual([1, 2, 3]);
    expect(finished.map((job) => job.status)).toEqual(['released', 'released', 'failed']);
    expect(failures).toEqual([expect.objectContaining({ message: 'not yet' })]);
  });

  it('fails a job whose `retryUntil` passed before its next attempt, without running it', async () => {
    await dispatch(new FailsUntilDeadline());
    const worker = new Worker(app);
    worker.on('processed', () => (clock.now = () => 5_000_000));
    const running = worker.run();
    while ((await failedRecords()).length === 0) await tick(2);
    await worker.stop();
    await running;
    expect(attempts).toEqual([1]);
  });

  it('fails after `maxExceptions` exceptions, even with tries left', async () => {
    await dispatch(new AlwaysFails(), { tries: 10, maxExceptions: 2 });
    await work();
    expect(attempts).toEqual([1, 2]);
    expect(failures).toHaveLength(1);
  });

  it('applies `maxExceptions` to attempts that released themselves and threw', async () => {
    await dispatch(new ReleasesAndThrows());
    const finished = await work();
    expect(attempts).toEqual([1, 2]);
    expect(finished.map((job) => job.status)).toEqual(['released', 'failed']);
    expect((failures[0] as Error).message).toBe('released, then threw on attempt 2');
  });

  it('does not count releases as exceptions', async () => {
    await dispatch(new ReleasesThenFails());
    const finished = await work();
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(finished.map((job) => job.status)).toEqual(['released', 'released', 'released', 'failed']);
    expect((failures[0] as Error).message).toBe('exception on attempt 4');
  });

  it('fails a job that released itself more often than `tries` allows, before running it again', async () => {
    await dispatch(new AlwaysReleases());
    await work();
    expect(attempts).toEqual([1, 2]);
    expect(failures).toEqual([expect.any(MaxAttemptsExceededError)]);
    expect((await failedRecords())[0].exception).toMatch(/E_MAX_ATTEMPTS_EXCEEDED/);
  });

  it('abandons an attempt that runs past `timeout`, aborts its signal and retries it', async () => {
    Hangs.aborted = 0;
    await dispatch(new Hangs());
    const finished = await work();
    expect(attempts).toEqual([1, 2]);
    expect(finished.map((job) => job.status)).toEqual(['released', 'completed']);
    expect(finished[0].error).toBeInstanceOf(JobTimedOutError);
    expect(Hangs.aborted).toBe(1);
  });

  it('fails a job at its first timeout with `failOnTimeout`', async () => {
    await dispatch(new Hangs(), { failOnTimeout: true });
    await work();
    expect(attempts).toEqual([1]);
    expect(failures).toEqual([expect.any(JobTimedOutError)]);
  });

  it('this.fail(error) fails the job for good, with tries left', async () => {
    await dispatch(new Decides('fail'));
    const finished = await work();
    expect(finished.map((job) => job.status)).toEqual(['failed']);
    expect(failures).toEqual([expect.any(RangeError)]);
    expect((await failedRecords())[0].exception).toMatch(/RangeError: given up/);
    expect(attempts).toEqual([1]); // a failed attempt runs no deferred callbacks
  });

  it('this.fail() without an error fails with JobMarkedFailedError', async () => {
    await dispatch(new Decides('fail-plain'));
    await work();
    expect(failures).toEqual([expect.any(JobMarkedFailedError)]);
  });

  it('this.delete() removes the job even when the attempt then throws', async () => {
    await dispatch(new Decides('delete-then-throw'));
    const finished = await work();
    expect(finished.map((job) => job.status)).toEqual(['deleted']);
    expect(failures).toEqual([]);
    expect(await failedRecords()).toEqual([]);
  });

  it('this.release() puts the job back, and this.attempts() counts', async () => {
    await dispatch(new Decides('release'));
    const finished = await work();
    expect(finished.map((job) => job.status)).toEqual(['released', 'completed']);
    expect(attempts).toEqual([1, -1, 2, -1]);
  });

  it('reports a failed() hook that throws, and still records the job', async () => {
    await dispatch(new BrokenHook());
    await work();
    expect(reports.map((r) => [(r.error as Error).message, r.context.phase])).toEqual([
      ['job', 'job'],
      ['hook', 'failed-hook'],
    ]);
    expect(await failedRecords()).toHaveLength(1);
  });

  it('QueuedJob helpers are harmless outside a queue', async () => {
    const job = new Decides('release');
    expect(job.attempts()).toBe(1);
    expect(() => {
      job.release(5);
      job.delete();
      job.fail();
    }).not.toThrow();
    expect(queueContext(job)).toBeUndefined();
  });
});

describe('lost attempts (JobRunner.runLost)', () => {
  const lostDelivery = (job: object, attempt: number) => {
    const { payload, body } = queueManager(app).payloads.encode(job);
    return { id: payload.id, queue: 'default', body, attempts: attempt, exceptions: attempt - 1 };
  };

  it('releases a job whose attempt died after its backoff while it has tries left, without running it', async () => {
    const runner = queueManager(app).createRunner('memory');
    const job = Object.assign(new AlwaysFails(), { tries: 3, backoff: [5, 9] });
    const report = await runner.runLost(lostDelivery(job, 2), { timedOut: false, error: new Error('thread died') });
    expect(report.outcome).toEqual({ type: 'release', delayMs: 9000, exceptions: 2 });
    expect(report.error).toEqual(new Error('thread died'));
    expect([attempts, failures]).toEqual([[], []]);
  });

  it('fails a job whose last attempt timed out with JobTimedOutError, and calls failed()', async () => {
    const runner = queueManager(app).createRunner('memory');
    const job = Object.assign(new AlwaysFails(), { tries: 2, timeout: 3 });
    const report = await runner.runLost(lostDelivery(job, 2), { timedOut: true });
    expect(report.outcome).toEqual({ type: 'fail', error: expect.any(JobTimedOutError) });
    expect(failures).toEqual([expect.objectContaining({ code: 'E_JOB_TIMED_OUT', message: expect.stringMatching(/3 s/) })]);
    expect(attempts).toEqual([]);
  });
});

describe('retries on the sync connection', () => {
  it('attempts at once up to `tries`, then calls failed() once and rejects', async () => {
    const dispatched = dispatch(new AlwaysFails(), { tries: 3, backoff: 60, connection: 'sync' });
    await expect(dispatched).rejects.toThrow('attempt 3 failed');
    expect(attempts).toEqual([1, 2, 3]);
    expect(failures).toHaveLength(1);
    expect(await queueManager(app).failedJobs('sync').list()).toHaveLength(1);
    expect(reports.map((r) => (r.error as Error).message)).toEqual(['attempt 1 failed', 'attempt 2 failed']);
  });

  it('resolves to the job’s result', async () => {
    await expect(dispatch(new Decides('release'), { connection: 'sync' })).resolves.toBe('second time');
  });

  it('runs the job in the dispatching scope: defer() belongs to the enclosing unit of work', async () => {
    const order: string[] = [];
    await app.runInScope(async () => {
      await dispatch(new Decides('release'), { connection: 'sync' });
      order.push(`dispatched, deferred so far: ${attempts.filter((a) => a === -1).length}`);
    });
    expect(order).toEqual(['dispatched, deferred so far: 0']);
    expect(attempts).toEqual([1, 2, -1, -1]); // one deferred callback per attempt
  });
});

describe('the sync connection’s ceiling', () => {
  it('fails a job retried until a far deadline after SYNC_MAX_ATTEMPTS attempts in a row', async () => {
    const dispatched = dispatch(new FailsForAnHour(), { connection: 'sync' });
    await expect(dispatched).rejects.toBeInstanceOf(MaxAttemptsExceededError);
    expect(attempts).toHaveLength(SYNC_MAX_ATTEMPTS);
    expect(failures).toEqual([expect.any(MaxAttemptsExceededError)]);
  });
});
