import { Dispatcher, Job, MemoryBatchStore, ShouldQueue, type Batch } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryDriver, Worker, type QueueManager } from '@epilogue/queue';
import { runCli } from '@epilogue/queue/cli';
import { useApp } from './fixtures/current-app.js';
import { fixture, jsonLinesOf, linesOf, testIo } from './fixtures/test-io.js';

let healthy = false;
const ran: string[] = [];

@ShouldQueue()
class ImportRow extends Job {
  constructor(
    public row: number,
    public flaky = false,
  ) {
    super();
  }
  handle() {
    if (this.flaky && !healthy) throw new Error(`row ${this.row} is flaky`);
    ran.push(`row ${this.row}`);
  }
}

let app: Application;
let manager: QueueManager;
let bus: Dispatcher;

beforeEach(() => {
  healthy = false;
  ran.length = 0;
  app = new Application({ report: () => undefined });
  manager = configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
  bus = app.make(Dispatcher);
  useApp(app);
});

const APP = fixture('current-app.ts');
const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;
const work = () => new Worker(app, { stopWhenEmpty: true }).run();

async function cli(args: string[]) {
  const io = testIo();
  const code = await runCli([...args, '--app', APP], io.io);
  return { code, out: io.out, err: io.err };
}

/** A batch of three rows, one flaky (it fails until `healthy`), worked once: one failure. */
async function failedBatch(name = 'import 42'): Promise<Batch> {
  const batch = await bus.batch([new ImportRow(1), new ImportRow(2, true), new ImportRow(3)]).allowFailures().name(name).dispatch();
  await work();
  return batch;
}

describe('epilogue queue:batches', () => {
  it('lists the batches newest first as a table, with counters, progress and times', async () => {
    const first = await failedBatch('first');
    const second = await bus.batch([new ImportRow(4)]).name('second').dispatch();
    await work();
    const third = await bus.batch([new ImportRow(5)]).name('third').dispatch();
    await (await bus.findBatch(third.id))?.cancel();
    const { code, out, err } = await cli(['queue:batches']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const [header, ...rows] = linesOf(out);
    expect(header).toMatch(/^ID +NAME +TOTAL +PENDING +FAILED +PROGRESS +CREATED +FINISHED$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(new RegExp(`^${third.id} +third +1 +1 +0 +0% +${TIME} +cancelled ${TIME}$`));
    expect(rows[1]).toMatch(new RegExp(`^${second.id} +second +1 +0 +0 +100% +${TIME} +${TIME}$`));
    expect(rows[2]).toMatch(new RegExp(`^${first.id} +first +3 +1 +1 +67% +${TIME} +-$`));
  });

  it('pages with --limit and --after, and prints one JSON object per batch with --json', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) ids.push((await bus.batch([new ImportRow(i)]).dispatch()).id);
    const page = await cli(['queue:batches', '--limit', '2', '--json']);
    expect(jsonLinesOf(page.out).map((line) => line.id)).toEqual([ids[2], ids[1]]);
    expect(jsonLinesOf(page.out)[0]).toMatchObject({ totalJobs: 1, pendingJobs: 1, failedJobs: 0, progress: 0, finishedAt: null });
    const next = await cli(['queue:batches', '--after', ids[1]!, '--json']);
    expect(jsonLinesOf(next.out).map((line) => line.id)).toEqual([ids[0]]);
  });

  it('says when there are none', async () => {
    expect((await cli(['queue:batches'])).out).toBe('No batches.\n');
    expect((await cli(['queue:batches', '--json'])).out).toBe('');
  });
});

describe('epilogue queue:batch', () => {
  it('shows one batch: counters, times and failed job ids', async () => {
    const batch = await failedBatch();
    const [failedId] = (await bus.findBatch(batch.id))!.failedJobIds;
    const { code, out } = await cli(['queue:batch', batch.id]);
    expect(code).toBe(0);
    expect(out).toContain(`ID            ${batch.id}\nName          import 42\nTotal jobs    3\nPending jobs  1\n`);
    expect(out).toContain('Processed     2 (67%)\nFailed jobs   1\n');
    expect(out).toMatch(/Finished at +-\nCancelled at +-\n/);
    expect(out).toContain(`Failed job ids\n  ${failedId}\n`);
    const json = jsonLinesOf((await cli(['queue:batch', batch.id, '--json'])).out);
    expect(json).toEqual([expect.objectContaining({ id: batch.id, failedJobIds: [failedId], processedJobs: 2 })]);
  });

  it('fails with E_BATCH_NOT_FOUND and exit code 1 for an unknown id, and asks for one id', async () => {
    const unknown = await cli(['queue:batch', 'no-such-batch']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^error \[E_BATCH_NOT_FOUND\]: There is no batch with the id no-such-batch/);
    const none = await cli(['queue:batch']);
    expect(none.code).toBe(1);
    expect(none.err).toContain('E_CLI_INVALID_ARGUMENTS');
  });
});

describe('epilogue queue:retry-batch', () => {
  it("pushes the batch's failed jobs back; once they succeed the batch has none left", async () => {
    const batch = await failedBatch();
    const [failedId] = (await bus.findBatch(batch.id))!.failedJobIds;
    const { code, out } = await cli(['queue:retry-batch', batch.id]);
    expect(code).toBe(0);
    expect(out).toBe(`Retried ImportRow (${failedId}) onto the "default" queue.\n`);
    expect(await manager.failedJobs().list()).toEqual([]);
    healthy = true;
    await work();
    expect(ran).toContain('row 2');
    const fresh = await bus.findBatch(batch.id);
    expect(fresh).toMatchObject({ pendingJobs: 0, failedJobs: 1, failedJobIds: [] });
    expect(fresh?.finished()).toBe(true);
  });

  it('says when a batch has no failed jobs, and fails for an unknown batch before retrying anything', async () => {
    // (The CLI closes the app's queue connections when it is done: everything is dispatched first.)
    const batch = await bus.batch([new ImportRow(1)]).dispatch();
    const failed = await failedBatch();
    const none = await cli(['queue:retry-batch', batch.id, '--json']);
    expect(none.code).toBe(0);
    expect(jsonLinesOf(none.out)).toEqual([{ event: 'nothing-to-retry', batchId: batch.id }]);
    const unknown = await cli(['queue:retry-batch', failed.id, 'no-such-batch']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('E_BATCH_NOT_FOUND');
    expect(await manager.failedJobs().list()).toHaveLength(1);
  });

  it('reports a failed job that is no longer in the failed store, with exit code 1', async () => {
    const batch = await failedBatch();
    await cli(['queue:flush']);
    const { code, err } = await cli(['queue:retry-batch', batch.id]);
    expect(code).toBe(1);
    expect(err).toContain('E_FAILED_JOB_NOT_FOUND');
  });
});

describe('epilogue queue:prune-batches', () => {
  // Batches made an hour ago, so that `--hours 0` finds them older without waiting.
  beforeEach(() => {
    bus.batches.useStore(new MemoryBatchStore({ now: () => Date.now() - 3_600_000 }));
  });

  it('deletes finished batches older than --hours (default 24), unfinished and cancelled ones when asked', async () => {
    const finished = await bus.batch([new ImportRow(1)]).dispatch();
    await work();
    const unfinished = await bus.batch([new ImportRow(2)]).dispatch();
    const cancelled = await bus.batch([new ImportRow(3)]).dispatch();
    await (await bus.findBatch(cancelled.id))?.cancel();
    const kept = await cli(['queue:prune-batches']);
    expect(kept).toMatchObject({ code: 0, out: 'Pruned 0 finished batch(es).\n' });
    const pruned = await cli(['queue:prune-batches', '--hours', '0', '--unfinished', '0', '--json']);
    expect(jsonLinesOf(pruned.out)).toEqual([{ event: 'pruned', finished: 2, unfinished: 1 }]);
    for (const { id } of [finished, unfinished, cancelled]) expect(await bus.findBatch(id)).toBeUndefined();
  });

  it('deletes cancelled batches by creation time with --cancelled', async () => {
    const cancelled = await bus.batch([new ImportRow(1)]).dispatch();
    await (await bus.findBatch(cancelled.id))?.cancel();
    const { out } = await cli(['queue:prune-batches', '--hours', '1000', '--cancelled', '0']);
    expect(out).toBe('Pruned 0 finished, 1 cancelled batch(es).\n');
    expect(await bus.findBatch(cancelled.id)).toBeUndefined();
  });

  it('refuses an --hours that is not a number of hours', async () => {
    const { code, err } = await cli(['queue:prune-batches', '--hours', 'soon']);
    expect(code).toBe(1);
    expect(err).toContain('error [E_CLI_INVALID_OPTION]: --hours must be a number of hours ≥ 0; got "soon".');
  });
});
