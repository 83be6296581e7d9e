import { Dispatcher, Job, ShouldQueue, type ChainCatchJob, type ChainFailure } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { FailOnException, InvalidJobMiddlewareError, QueuedJob, type QueuedJobOptions } from '@epilogue/queue';
import { queueApp, startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { waitFor } from '@epilogue-internal/test-support/waits';

class CardDeclinedError extends Error {}
class ExpiredCardError extends CardDeclinedError {}

const trail: string[] = [];
// What each attempt throws, in order; empty: it returns.
let script: Error[] = [];

@ShouldQueue()
class ChargeCard extends QueuedJob implements QueuedJobOptions {
  tries = 5;
  constructor(public orderId: number, public byPredicate = false) {
    super();
  }
  middleware() {
    return [
      this.byPredicate
        ? new FailOnException((error: unknown, job: ChargeCard) => job.orderId > 100 && error instanceof RangeError)
        : new FailOnException([CardDeclinedError, TypeError]),
    ];
  }
  handle() {
    trail.push(`attempt ${this.attempts()}`);
    const error = script.shift();
    if (error !== undefined) throw error;
    return 'charged';
  }
  failed(error: unknown) {
    trail.push(`failed: ${(error as Error).message}`);
  }
}

@ShouldQueue()
class RefundNotice extends Job implements ChainCatchJob {
  chainFailure?: ChainFailure;
  handle() {
    trail.push(`catch: ${this.chainFailure?.error.message}`);
  }
}

afterEach(stopWorkers);

beforeEach(() => {
  trail.length = 0;
  script = [];
});

async function runOne(job: ChargeCard) {
  const { app, memory, reports } = queueApp();
  await app.make(Dispatcher).dispatch(job);
  const worker = startWorker(app);
  await waitFor('the job to end', () => worker.statuses().some((status) => status === 'failed' || status === 'completed'));
  await worker.stop();
  return { statuses: worker.statuses(), failed: await memory.failedJobs.list(), reports };
}

describe('FailOnException', () => {
  it('fails the job for good at the first matching error (a subclass too), with tries left', async () => {
    script = [new Error('network'), new ExpiredCardError('card expired')];
    const { statuses, failed, reports } = await runOne(new ChargeCard(1));
    expect(statuses).toEqual(['released', 'failed']);
    expect(trail).toEqual(['attempt 1', 'attempt 2', 'failed: card expired']);
    expect(failed).toHaveLength(1);
    expect(failed[0].exception).toMatch(/card expired/);
    // Reported once per attempt that threw, as without the middleware.
    expect(reports.map((report) => (report.error as Error).message)).toEqual(['network', 'card expired']);
  });

  it('retries errors that match nothing', async () => {
    script = [new RangeError('a'), new Error('b')];
    const { statuses } = await runOne(new ChargeCard(2));
    expect(statuses).toEqual(['released', 'released', 'completed']);
  });

  it('takes a predicate of the error and the job', async () => {
    script = [new RangeError('small order')];
    const first = await runOne(new ChargeCard(5, true));
    expect(first.statuses).toEqual(['released', 'completed']);
    script = [new RangeError('big order')];
    const second = await runOne(new ChargeCard(500, true));
    expect(second.statuses).toEqual(['failed']);
  });

  it('stops a chain at once and dispatches its catch job', async () => {
    const { app } = queueApp();
    script = [new TypeError('bad card number')];
    await app.make(Dispatcher).chain([new ChargeCard(3), new ChargeCard(4)]).catch(new RefundNotice()).dispatch();
    const worker = startWorker(app);
    await waitFor('the catch job', () => trail.some((line) => line.startsWith('catch')));
    await worker.stop();
    expect(trail).toEqual(['attempt 1', 'failed: bad card number', 'catch: bad card number']);
  });

  it('throws the error on with dispatchSync, and runs failed() once', async () => {
    new Application();
    script = [new CardDeclinedError('declined')];
    await expect(ChargeCard.dispatchSync(7)).rejects.toThrow('declined');
    expect(trail).toEqual(['attempt 1', 'failed: declined']);
  });

  it('refuses what is neither error classes nor a predicate', () => {
    expect(() => new FailOnException([])).toThrow(InvalidJobMiddlewareError);
    expect(() => new FailOnException(['TypeError'] as never)).toThrow(/a non-empty list of error classes/);
    expect(() => new FailOnException('TypeError' as never)).toThrow(InvalidJobMiddlewareError);
  });
});
