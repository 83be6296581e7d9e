import { Dispatcher, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { InvalidJobMiddlewareError, QueuedJob, Skip } from '@epilogue/queue';
import { queueApp, startWorker, stopWorkers } from '@epilogue-internal/test-support/queue';
import { waitFor } from '@epilogue-internal/test-support/waits';

const ran: string[] = [];
const paid = new Set<number>();

@ShouldQueue()
class SendReminder extends QueuedJob {
  constructor(
    public invoiceId: number,
    public rule: 'when-paid' | 'unless-due' | 'always' | 'never' | 'broken' = 'when-paid',
  ) {
    super();
  }
  middleware() {
    switch (this.rule) {
      case 'when-paid':
        return [Skip.when(async (job: SendReminder) => paid.has(job.invoiceId))];
      case 'unless-due':
        return [Skip.unless((job: SendReminder) => !paid.has(job.invoiceId))];
      case 'always':
        return [Skip.when(true)];
      case 'never':
        return [Skip.unless(true)];
      case 'broken':
        return [
          Skip.when(() => {
            throw new Error('condition broke');
          }),
        ];
    }
  }
  handle() {
    ran.push(`remind ${this.invoiceId}`);
    return this.invoiceId;
  }
  failed() {
    ran.push(`failed ${this.invoiceId}`);
  }
}

afterEach(stopWorkers);

beforeEach(() => {
  ran.length = 0;
  paid.clear();
});

describe('Skip', () => {
  it('skips a job whose condition holds when it runs: done, not failed, and the handler never ran', async () => {
    const { app, memory, reports } = queueApp();
    paid.add(2);
    await SendReminder.dispatch(1);
    await SendReminder.dispatch(2);
    await SendReminder.dispatch(3, 'unless-due');
    await SendReminder.dispatch(4, 'always');
    await SendReminder.dispatch(5, 'never');
    paid.add(3);
    const worker = startWorker(app);
    await waitFor('five attempts', () => worker.finished.length === 5);
    await worker.stop();
    expect(worker.statuses()).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
    expect(ran).toEqual(['remind 1', 'remind 5']);
    expect(await memory.failedJobs.list()).toEqual([]);
    expect(reports).toEqual([]);
  });

  it('lets a chain go on past a skipped job', async () => {
    const { app } = queueApp();
    paid.add(2);
    await app.make(Dispatcher).chain([new SendReminder(1), new SendReminder(2), new SendReminder(3)]).dispatch();
    const worker = startWorker(app);
    await waitFor('three attempts', () => worker.finished.length === 3);
    await worker.stop();
    expect(ran).toEqual(['remind 1', 'remind 3']);
  });

  it('fails the attempt as any other when the condition throws', async () => {
    const { app, memory } = queueApp();
    await SendReminder.dispatch(9, 'broken');
    const worker = startWorker(app);
    await waitFor('the failure', () => worker.statuses().includes('failed'));
    await worker.stop();
    expect(ran).toEqual(['failed 9']);
    expect((await memory.failedJobs.list())[0].exception).toMatch(/condition broke/);
  });

  it('skips with dispatchSync too: the dispatch resolves to undefined', async () => {
    new Application();
    paid.add(7);
    await expect(SendReminder.dispatchSync(7)).resolves.toBeUndefined();
    await expect(SendReminder.dispatchSync(8)).resolves.toBe(8);
    expect(ran).toEqual(['remind 8']);
  });

  it('refuses a condition that is neither a boolean nor a function', () => {
    expect(() => Skip.when('yes' as never)).toThrow(InvalidJobMiddlewareError);
    expect(() => Skip.unless(undefined as never)).toThrow(/Skip: `unless` must be a boolean or a function of the job/);
  });
});
