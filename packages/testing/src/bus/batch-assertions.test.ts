import { Batch, Dispatcher, InvalidBatchError, Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryDriver } from '@epilogue/queue';
import { fakeBus, InvalidExpectationError, restoreFakes } from '@epilogue/testing';
import { failureOf } from '../../test/failure-of.js';

const ran: string[] = [];

class ImportRow extends Job {
  constructor(public row: number) {
    super();
  }
  handle() {
    ran.push(`row ${this.row}`);
  }
}

class ResizeImage extends ImportRow {}

class NotifyImported extends Job {
  constructor(public importId: number) {
    super();
  }
  handle() {
    ran.push('notified');
  }
}

@ShouldQueue()
class QueuedRow extends ImportRow {}

function setup() {
  ran.length = 0;
  const app = new Application({ report: () => undefined });
  return { app, dispatcher: app.make(Dispatcher) };
}

afterEach(() => restoreFakes());

describe('batches on a faked bus', () => {
  it('records the batch instead of running it, and resolves to a batch that findBatch() finds', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    const batch = await dispatcher
      .batch([new ImportRow(1), null, [new ResizeImage(2), new ImportRow(3)]])
      .name('import 42')
      .onSuccess(new NotifyImported(42))
      .dispatch();
    expect(ran).toEqual([]);
    expect(batch).toBeInstanceOf(Batch);
    expect(batch).toMatchObject({ name: 'import 42', totalJobs: 3, pendingJobs: 3, failedJobs: 0 });
    expect(await dispatcher.findBatch(batch.id)).toMatchObject({ id: batch.id, totalJobs: 3 });
    const [recorded] = bus.batched();
    expect(recorded?.id).toBe(batch.id);
    expect(recorded?.jobs).toEqual([new ImportRow(1), [new ResizeImage(2), new ImportRow(3)]]);
    expect(bus.records).toEqual([]);
  });

  it('records jobs added to a faked batch, and cancels it on the fake copy', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    const batch = await dispatcher.batch([new ImportRow(1)]).dispatch();
    const grown = await batch.add([new ImportRow(2)]);
    expect(grown.totalJobs).toBe(2);
    await batch.cancel();
    expect((await batch.fresh())?.cancelled()).toBe(true);
    bus.assertBatched((pending) => pending.jobs.length === 2);
    expect(ran).toEqual([]);
  });

  it('refuses what the real bus refuses', async () => {
    const { app, dispatcher } = setup();
    fakeBus(app);
    await expect(dispatcher.batch([42 as never]).dispatch()).rejects.toBeInstanceOf(InvalidBatchError);
  });

  it('runs a batch none of whose jobs is faked', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app, { only: [NotifyImported] });
    await dispatcher.batch([new ImportRow(1)]).dispatch();
    expect(ran).toEqual(['row 1']);
    bus.assertNothingBatched();
  });

  it('records a batch that would go through a queue, without pushing anything', async () => {
    const { app, dispatcher } = setup();
    const memory = new MemoryDriver();
    configureQueues(app, { default: 'memory', connections: { memory } });
    const bus = fakeBus(app);
    await dispatcher.batch([new QueuedRow(1)]).onQueue('imports').dispatch();
    expect(await memory.size('imports')).toBe(0);
    bus.assertBatched((batch) => batch.options.queue === 'imports');
  });
});

describe('assertBatched', () => {
  it('passes when a batch matches, the predicate receiving its jobs, name and options', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    await dispatcher.batch([new ImportRow(1)]).dispatch();
    await dispatcher
      .batch([new ImportRow(2), new ResizeImage(3)])
      .name('import 42')
      .allowFailures()
      .onQueue('imports')
      .finally(new NotifyImported(42))
      .dispatch();
    bus.assertBatched((batch) => batch.name === 'import 42');
    bus.assertBatched(
      (batch) =>
        batch.jobs.length === 2 &&
        batch.jobs[1] instanceof ResizeImage &&
        batch.options.allowFailures === true &&
        batch.options.finally?.[0] instanceof NotifyImported,
    );
  });

  it('fails when no batch matches, showing the predicate and listing the batches', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    await dispatcher.batch([new ImportRow(1), [new ResizeImage(2), new ImportRow(3)]]).name('rows').onQueue('imports').dispatch();
    await dispatcher.batch([new ImportRow(4)]).onSuccess(new NotifyImported(1)).catch(() => undefined).dispatch();
    const lines = failureOf(() => bus.assertBatched((batch) => batch.name === 'images')).message.split('\n');
    expect(lines[0]).toBe('Expected a batch matching the predicate to be dispatched, but none of the 2 batches dispatched matched.');
    expect(lines[1]).toMatch(/^ {2}predicate: \(batch\) ?=> ?batch\.name === 'images'$/);
    expect(lines[2]).toMatch(/^ {2}asserted at packages\/testing\/src\/bus\/batch-assertions\.test\.ts:\d+:\d+:$/);
    expect(lines.slice(4)).toEqual([
      'Dispatched batches (2):',
      "  1. batch 'rows' [ImportRow, [ResizeImage, ImportRow]] (onQueue 'imports')",
      '  2. batch [ImportRow] (onSuccess NotifyImported, catch a function)',
    ]);
  });

  it('fails when no batch was dispatched at all', () => {
    const { app } = setup();
    const bus = fakeBus(app);
    const message = failureOf(() => bus.assertBatched(() => true)).message;
    expect(message.split('\n')[0]).toBe('Expected a batch matching the predicate to be dispatched, but no batch was.');
    expect(message.split('\n').pop()).toBe('No batch was dispatched.');
  });

  it('refuses something that is not a predicate', () => {
    const { app } = setup();
    const bus = fakeBus(app);
    expect(() => bus.assertBatched('import' as never)).toThrow(InvalidExpectationError);
  });
});

describe('assertBatchCount and assertNothingBatched', () => {
  it('passes with the exact count, and fails with the count found and the batches', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    bus.assertBatchCount(0);
    await dispatcher.batch([new ImportRow(1)]).dispatch();
    bus.assertBatchCount(1);
    const error = failureOf(() => bus.assertBatchCount(2));
    expect(error.message).toBe(['Expected 2 batches to be dispatched, but one batch was.', 'Dispatched batches (1):', '  1. batch [ImportRow]'].join('\n'));
    expect(error).toMatchObject({ actual: 1, expected: 2, operator: 'strictEqual' });
    expect(() => bus.assertBatchCount(-1)).toThrow(InvalidExpectationError);
  });

  it('says none was when a count was expected and no batch was dispatched', () => {
    const { app } = setup();
    const bus = fakeBus(app);
    expect(failureOf(() => bus.assertBatchCount(1)).message).toBe(
      ['Expected one batch to be dispatched, but none was.', 'No batch was dispatched.'].join('\n'),
    );
  });

  it('passes with no batch, and fails listing each batch dispatched', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    bus.assertNothingBatched();
    await dispatcher.batch([new ImportRow(1)]).name('one').dispatch();
    await dispatcher.batch([new ImportRow(2), new ImportRow(3)]).dispatch();
    expect(failureOf(() => bus.assertNothingBatched()).message).toBe(
      ['Expected no batch to be dispatched, but 2 batches were:', "  - batch 'one' [ImportRow]", '  - batch [ImportRow, ImportRow]'].join(
        '\n',
      ),
    );
  });
});
