import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { InvalidJobMiddlewareError, QueuedJob, ThrottlesExceptions, type QueuedJobOptions } from '@epilogue/queue';
import { queueApp, startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { waitFor } from '@epilogue-internal/test-support/waits';

const calls: { label: string; at: number }[] = [];
// What each call of a job does, in order: throw, or return. Empty: return.
let script: ('throw' | 'type-error' | 'gone' | 'ok')[] = [];

class PartnerGoneError extends Error {}
const askedBackoff: number[] = [];

interface ThrottleOptions {
  max?: number;
  decaySeconds?: number;
  backoff?: number;
  by?: string;
  onlyErrors?: boolean;
  backoffFn?: boolean;
  deleteWhen?: 'class' | 'predicate';
  failWhen?: boolean;
  report?: boolean;
}

@ShouldQueue()
class CallPartner extends QueuedJob implements QueuedJobOptions {
  tries = 0;
  constructor(
    public label: string,
    public throttle: ThrottleOptions = {},
  ) {
    super();
  }
  middleware() {
    const { max = 2, decaySeconds = 0.08, backoff, by, onlyErrors } = this.throttle;
    const throttle = new ThrottlesExceptions(max, decaySeconds);
    if (backoff !== undefined) throttle.backoff(backoff);
    if (by !== undefined) throttle.by(by);
    if (onlyErrors) throttle.when((error) => !(error instanceof TypeError));
    const { backoffFn, deleteWhen, failWhen, report } = this.throttle;
    if (backoffFn) throttle.backoff((attempts) => (askedBackoff.push(attempts), attempts * 0.02));
    if (deleteWhen === 'class') throttle.deleteWhen(PartnerGoneError);
    if (deleteWhen === 'predicate') throttle.deleteWhen((error, job: CallPartner) => job.label === 'x' && error instanceof PartnerGoneError);
    if (failWhen) throttle.failWhen(TypeError);
    if (report) throttle.report((error) => (error as Error).message.includes('report me'));
    return [throttle];
  }
  handle() {
    calls.push({ label: this.label, at: Date.now() });
    const next = script.shift() ?? 'ok';
    if (next === 'throw') throw new Error(`partner down (${this.label})`);
    if (next === 'type-error') throw new TypeError(`bug (${this.label})`);
    if (next === 'gone') throw new PartnerGoneError(`gone (${this.label})`);
    return this.label;
  }
}

@ShouldQueue()
class SyncPartnerCatalog extends CallPartner {}

afterEach(stopWorkers);

beforeEach(() => {
  calls.length = 0;
  script = [];
});

function dispatch(job: object, options: object = {}) {
  return Application.getInstance().make(Dispatcher).dispatch(Object.assign(job, options));
}

describe('ThrottlesExceptions', () => {
  it('opens after `maxExceptions` failures in a row, holds attempts back for the window, then closes', async () => {
    const { app, reports } = queueApp();
    script = ['throw', 'throw', 'ok'];
    await dispatch(new CallPartner('job'));
    const worker = startWorker(app);
    await waitFor('the job to complete', () => worker.statuses().includes('completed'));
    await worker.stop();
    expect(worker.statuses()).toEqual(['released', 'released', 'released', 'completed']);
    expect(calls).toHaveLength(3);
    // The third attempt was held back, without running, until the window of the first failure ended.
    expect(calls[2].at - calls[0].at).toBeGreaterThanOrEqual(70);
    expect(reports.map((report) => (report.error as Error).message)).toEqual([
      'partner down (job)',
      'partner down (job)',
    ]);
  });

  it('starts counting again after an attempt that returned', async () => {
    const { app, manager } = queueApp();
    script = ['throw', 'ok', 'throw', 'ok'];
    await dispatch(new CallPartner('first'));
    const worker = startWorker(app);
    await waitFor('first to complete', () => worker.statuses().includes('completed'));
    expect(await manager.atomics().peek('throttle:CallPartner')).toEqual({ count: 0, resetInMs: 0 });
    await dispatch(new CallPartner('second'));
    await waitFor('second to complete', () => worker.statuses().filter((s) => s === 'completed').length === 2);
    await worker.stop();
    // Never two failures in a row, so no attempt was held back: a hold would add a release without a call.
    expect(worker.statuses()).toEqual(['released', 'completed', 'released', 'completed']);
    expect(calls).toHaveLength(4);
  });

  it('puts an attempt that threw back after `backoff()` seconds', async () => {
    const { app } = queueApp();
    script = ['throw'];
    await dispatch(new CallPartner('slow', { backoff: 0.04, max: 5 }));
    const worker = startWorker(app);
    await waitFor('the retry to complete', () => worker.statuses().includes('completed'));
    await worker.stop();
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(35);
  });

  it('shares one circuit between job classes with by()', async () => {
    const { app } = queueApp();
    script = ['throw', 'throw'];
    await dispatch(new CallPartner('a', { by: 'partner-api', decaySeconds: 10 }), { tries: 2 });
    const worker = startWorker(app);
    await waitFor('a to fail for good', () => worker.statuses().includes('failed'));
    await dispatch(new SyncPartnerCatalog('b', { by: 'partner-api', decaySeconds: 10 }));
    await waitFor('b to be held back', () => worker.finished.length === 4);
    await worker.stop();
    // a's second failure released it too; its third delivery was one more than `tries` allows.
    expect(worker.statuses()).toEqual(['released', 'released', 'failed', 'released']);
    expect(calls.map((call) => call.label)).toEqual(['a', 'a']);
  });

  it('lets errors that when() refuses through, uncounted, to the job’s own retries', async () => {
    const { app, manager, memory } = queueApp();
    script = ['type-error'];
    await dispatch(new CallPartner('buggy', { onlyErrors: true }), { tries: 1 });
    const worker = startWorker(app);
    await waitFor('the job to fail', () => worker.statuses().includes('failed'));
    await worker.stop();
    expect((await memory.failedJobs.list())[0].exception).toMatch(/^TypeError: bug \(buggy\)/);
    expect((await manager.atomics().peek('throttle:CallPartner')).count).toBe(0);
  });

  it('takes the backoff as a function of the attempt number, in seconds', async () => {
    const { app } = queueApp();
    script = ['throw', 'throw'];
    askedBackoff.length = 0;
    await dispatch(new CallPartner('slow', { backoffFn: true, max: 5 }));
    const worker = startWorker(app);
    await waitFor('the retry to complete', () => worker.statuses().includes('completed'));
    await worker.stop();
    expect(askedBackoff).toEqual([1, 2]);
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(15);
    expect(calls[2].at - calls[1].at).toBeGreaterThanOrEqual(35);
  });

  it('deletes the job quietly on an error deleteWhen() picks: not retried, not failed, not counted', async () => {
    const { app, manager, memory, reports } = queueApp();
    script = ['gone', 'gone'];
    await dispatch(new CallPartner('a', { deleteWhen: 'class' }));
    await dispatch(new CallPartner('b', { deleteWhen: 'predicate' }));
    const worker = startWorker(app);
    await waitFor('a deleted, b released then completed', () => worker.finished.length === 3);
    await worker.stop();
    // b's error was not picked by the predicate (its label is not 'x'): counted and retried.
    expect(worker.statuses()).toEqual(['deleted', 'released', 'completed']);
    expect(await memory.failedJobs.list()).toEqual([]);
    expect(reports.map((report) => (report.error as Error).message)).toEqual(['gone (b)']);
    expect((await manager.atomics().peek('throttle:CallPartner')).count).toBe(0);
  });

  it('reports the errors it deletes with report(predicate)', async () => {
    const { app, reports } = queueApp();
    script = ['gone', 'gone'];
    await dispatch(new CallPartner('report me', { deleteWhen: 'class', report: true }));
    await dispatch(new CallPartner('not me', { deleteWhen: 'class', report: true }));
    const worker = startWorker(app);
    await waitFor('both deleted', () => worker.finished.length === 2);
    await worker.stop();
    expect(worker.statuses()).toEqual(['deleted', 'deleted']);
    expect(reports.map((report) => [(report.error as Error).message, report.context.phase, report.context.job])).toEqual([
      ['gone (report me)', 'job', 'CallPartner'],
    ]);
    expect(reports[0].context).toMatchObject({ connection: 'memory', queue: 'default', attempt: 1 });
  });

  it('fails the job for good at once on an error failWhen() picks', async () => {
    const { app, memory } = queueApp();
    script = ['type-error'];
    await dispatch(new CallPartner('buggy', { failWhen: true }));
    const worker = startWorker(app);
    await waitFor('the failure', () => worker.statuses().includes('failed'));
    await worker.stop();
    expect(worker.statuses()).toEqual(['failed']);
    expect((await memory.failedJobs.list())[0].exception).toMatch(/^TypeError: bug \(buggy\)/);
  });

  describe('without a queue', () => {
    it('throws each error with dispatchSync, and skips the job (undefined) while the circuit is open', async () => {
      queueApp();
      script = ['throw', 'throw'];
      await expect(CallPartner.dispatchSync('sync')).rejects.toThrow('partner down (sync)');
      await expect(CallPartner.dispatchSync('sync')).rejects.toThrow('partner down (sync)');
      await expect(CallPartner.dispatchSync('sync')).resolves.toBeUndefined();
      expect(calls).toHaveLength(2);
    });

    it('resolves to undefined with dispatchSync for an error deleteWhen() picks, and throws one failWhen() picks', async () => {
      const { reports } = queueApp();
      script = ['gone', 'type-error'];
      await expect(CallPartner.dispatchSync('sync', { deleteWhen: 'class', report: true })).resolves.toBeUndefined();
      await expect(CallPartner.dispatchSync('sync', { failWhen: true })).rejects.toThrow('bug (sync)');
      expect(reports).toEqual([]);
    });
  });

  it('refuses unusable options with InvalidJobMiddlewareError', () => {
    expect(() => new ThrottlesExceptions(0)).toThrow(InvalidJobMiddlewareError);
    expect(() => new ThrottlesExceptions(1.5)).toThrow(InvalidJobMiddlewareError);
    expect(() => new ThrottlesExceptions(3, -1)).toThrow(InvalidJobMiddlewareError);
    expect(() => new ThrottlesExceptions().backoff(NaN)).toThrow(InvalidJobMiddlewareError);
    expect(() => new ThrottlesExceptions().by(null as never)).toThrow(InvalidJobMiddlewareError);
    expect(() => new ThrottlesExceptions().when('x' as never)).toThrow(InvalidJobMiddlewareError);
    expect(() => new ThrottlesExceptions().backoff('5' as never)).toThrow(InvalidJobMiddlewareError);
    expect(() => new ThrottlesExceptions().deleteWhen('Error' as never)).toThrow(/`deleteWhen` must be an error class/);
    expect(() => new ThrottlesExceptions().failWhen(null as never)).toThrow(InvalidJobMiddlewareError);
    expect(() => new ThrottlesExceptions().report('x' as never)).toThrow(InvalidJobMiddlewareError);
  });
});
