import { Job, ShouldQueue } from '@epilogue/bus';
import { QueuedJob, Worker, type JobFinished, type QueuedJobOptions } from '@epilogue/queue';
import { queueApp, startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { tick, waitFor } from '@epilogue-internal/test-support/waits';
import { setLongTimeout } from './timers.js';

// Node fires a timer above this after 1 ms; every delay below is longer.
const NODE_LIMIT_MS = 2 ** 31 - 1;
const THIRTY_DAYS_S = 30 * 24 * 60 * 60;

const ran: string[] = [];

@ShouldQueue()
class Transcode extends QueuedJob implements QueuedJobOptions {
  timeout = THIRTY_DAYS_S;
  async handle() {
    await tick(30);
    ran.push('transcoded');
  }
}

@ShouldQueue()
class Remind extends Job {
  handle() {
    ran.push('reminded');
  }
}

describe('setLongTimeout', () => {
  afterEach(() => jest.useRealTimers());

  it('waits the whole of a delay above Node’s limit of about 24.8 days', () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    setLongTimeout(fired, THIRTY_DAYS_S * 1000);
    jest.advanceTimersByTime(NODE_LIMIT_MS);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(THIRTY_DAYS_S * 1000 - NODE_LIMIT_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('can be cleared before it fires, in its first step or a later one', () => {
    jest.useFakeTimers();
    const early = jest.fn();
    setLongTimeout(early, 5).clear();
    const late = jest.fn();
    const timer = setLongTimeout(late, THIRTY_DAYS_S * 1000);
    jest.advanceTimersByTime(NODE_LIMIT_MS + 1);
    timer.clear();
    timer.clear();
    jest.advanceTimersByTime(THIRTY_DAYS_S * 1000);
    expect(early).not.toHaveBeenCalled();
    expect(late).not.toHaveBeenCalled();
  });
});

describe('queue timers longer than 24.8 days', () => {
  beforeEach(() => {
    ran.length = 0;
  });
  afterEach(stopWorkers);

  it('a 30-day job timeout lets the job finish, and a 30-day maxTime keeps the worker running', async () => {
    const { app, reports } = queueApp();
    const worker = new Worker(app, { maxTime: THIRTY_DAYS_S, stopTimeoutMs: 500 });
    const finished: JobFinished[] = [];
    worker.on('processed', (job) => finished.push(job));
    let stoppedAt: number | undefined;
    const running = worker.run().then((summary) => {
      stoppedAt = Date.now();
      return summary;
    });
    try {
      await Transcode.dispatch();
      await waitFor('the job to finish', () => finished.length === 1);
      expect(finished.map((job) => job.status)).toEqual(['completed']);
      expect(ran).toEqual(['transcoded']);
      await tick(20);
      expect(stoppedAt).toBeUndefined();
    } finally {
      await worker.stop();
    }
    await expect(running).resolves.toMatchObject({ reason: 'stopped' });
    expect(reports).toEqual([]);
  });

  it('the memory driver holds a job delayed by 30 days, never asking Node for a timer it would cut to 1 ms', async () => {
    const { app, manager } = queueApp();
    const timers = jest.spyOn(global, 'setTimeout');
    try {
      startWorker(app);
      await Remind.dispatch().delay(THIRTY_DAYS_S);
      await tick(50);
      expect(ran).toEqual([]);
      await expect(manager.size()).resolves.toBe(1);
      const overflowing = timers.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms > NODE_LIMIT_MS);
      expect(overflowing).toEqual([]);
    } finally {
      timers.mockRestore();
    }
  });
});
