import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application, type ErrorContext } from '@epilogue/core';
import {
  configureQueues,
  MaxAttemptsExceededError,
  MemoryDriver,
  QueuedJob,
  SyncDriver,
  Worker,
  type QueuedJobOptions,
} from '@epilogue/queue';

const clock = { now: () => 1_000_000 };
const failures: unknown[] = [];

@ShouldQueue()
class KeepsReleasing extends QueuedJob implements QueuedJobOptions {
  tries = 2;
  handle() {
    this.release();
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

@ShouldQueue()
class ReleasesUntilDeadline extends QueuedJob implements QueuedJobOptions {
  retryUntil() {
    return new Date(clock.now() + 60_000);
  }
  handle() {
    // The deadline passes while the job waits on its queue.
    clock.now = () => 5_000_000;
    this.release();
  }
  failed(error: unknown) {
    failures.push(error);
  }
}

let app: Application;
let reports: { error: unknown; context: ErrorContext }[];
let memory: MemoryDriver;

beforeEach(() => {
  failures.length = 0;
  clock.now = () => 1_000_000;
  reports = [];
  app = new Application({ report: (error, context) => reports.push({ error, context }) });
  memory = new MemoryDriver();
  configureQueues(app, { default: 'memory', connections: { memory, sync: new SyncDriver() }, clock });
});

describe('a job failed for running out of attempts reaches the error reporter, as Laravel reports MaxAttemptsExceededException', () => {
  it('a job released more often than `tries` allows is reported with a MaxAttemptsExceededError naming it and its attempts', async () => {
    await KeepsReleasing.dispatch();
    await new Worker(app, { stopWhenEmpty: true }).run();
    expect(reports).toHaveLength(1);
    const [{ error, context }] = reports;
    expect(error).toBeInstanceOf(MaxAttemptsExceededError);
    expect(error).toMatchObject({ code: 'E_MAX_ATTEMPTS_EXCEEDED', job: 'KeepsReleasing', attempts: 2 });
    expect((error as Error).message).toMatch(/KeepsReleasing has been attempted too many times \(2\)/);
    expect(context).toMatchObject({ phase: 'job', scope: 'job', job: 'KeepsReleasing', connection: 'memory', attempt: 3 });
    // The same error still reaches failed() and the failed store.
    expect(failures).toEqual([error]);
    expect((await memory.failedJobs.list())[0].exception).toMatch(/E_MAX_ATTEMPTS_EXCEEDED/);
  });

  it('a job whose `retryUntil` passed before its next attempt is reported too', async () => {
    await ReleasesUntilDeadline.dispatch();
    await new Worker(app, { stopWhenEmpty: true }).run();
    expect(reports.map((r) => r.error)).toEqual([failures[0]]);
    expect(reports[0].error).toMatchObject({ job: 'ReleasesUntilDeadline', attempts: 1 });
    expect((reports[0].error as Error).message).toMatch(/after 1 attempt\(s\): its retryUntil time .* has passed/);
  });

  it('on the sync connection the dispatch rejects with it instead, and nothing is reported twice', async () => {
    const dispatched = app.make(Dispatcher).dispatch(Object.assign(new KeepsReleasing(), { connection: 'sync' }));
    await expect(dispatched).rejects.toBeInstanceOf(MaxAttemptsExceededError);
    expect(reports).toEqual([]);
  });
});
