import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryDriver, SyncDriver, type QueueManager } from '@epilogue/queue';
import type { ConsumeOptions, DeliveryHandler, DriverPushOptions, QueueDriver } from '@epilogue/queue/driver';
import { runCli } from '@epilogue/queue/cli';
import { useApp } from './fixtures/current-app.js';
import { fixture, jsonLinesOf, linesOf, testIo } from './fixtures/test-io.js';

const ran: string[] = [];

@ShouldQueue()
class Note extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    ran.push(this.label);
  }
}

/** A storage driver with every required method of the contract and none of the optional ones. */
class NoClearDriver implements QueueDriver {
  readonly runsOnPush = false;
  readonly #inner = new MemoryDriver();
  readonly failedJobs = this.#inner.failedJobs;
  push(body: string, options: DriverPushOptions) {
    return this.#inner.push(body, options);
  }
  consume(queues: readonly string[], handler: DeliveryHandler, options: ConsumeOptions) {
    return this.#inner.consume(queues, handler, options);
  }
  size(queue: string) {
    return this.#inner.size(queue);
  }
  close() {
    return this.#inner.close();
  }
}

let app: Application;
let manager: QueueManager;

beforeEach(() => {
  ran.length = 0;
  app = new Application({ report: (error) => console.error(error) });
  manager = configureQueues(app, {
    default: 'memory',
    connections: { memory: new MemoryDriver(), other: new MemoryDriver(), bare: new NoClearDriver(), sync: new SyncDriver() },
  });
  useApp(app);
});

const APP = fixture('current-app.ts');

async function cli(args: string[]) {
  const io = testIo();
  const code = await runCli([...args, '--app', APP], io.io);
  return { code, out: io.out, err: io.err };
}

/** Dispatches `ready` jobs and `delayed` delayed ones onto `queue` of `connection`. */
async function fill(queue: string, ready: number, delayed = 0, connection = 'memory') {
  for (let n = 0; n < ready; n++) await Note.dispatch(`${queue}-${n}`).onQueue(queue).onConnection(connection);
  for (let n = 0; n < delayed; n++) {
    await Note.dispatch(`${queue}-later-${n}`).onQueue(queue).onConnection(connection).delay(3600);
  }
}

describe('epilogue queue:monitor', () => {
  it('prints each queue against its threshold and exits 2 when one is at or above it', async () => {
    await fill('default', 2, 1);
    await fill('images', 2);
    await fill('default', 1, 0, 'other');

    const { code, out, err } = await cli(['queue:monitor', 'default,images=2', 'other:default', '--max', '5']);

    expect(err).toBe('');
    expect(code).toBe(2);
    expect(linesOf(out)).toEqual([
      'CONNECTION  QUEUE    SIZE  MAX  STATUS',
      'memory      default  3     5    OK',
      'memory      images   2     2    ALERT',
      'other       default  1     5    OK',
      'Size: the waiting and delayed jobs of the queue (running jobs are not counted).',
    ]);
  });

  it('exits 0 when every queue is below its threshold, 1000 unless --max says otherwise', async () => {
    await fill('default', 999);
    const { code, out } = await cli(['queue:monitor', 'default', '--json']);
    expect(code).toBe(0);
    expect(jsonLinesOf(out)).toEqual([
      {
        event: 'queue',
        connection: 'memory',
        queue: 'default',
        max: 1000,
        size: 999,
        alert: false,
        status: 'ok',
        counts: 'waiting+delayed',
      },
    ]);
  });

  it('takes --connection as the connection of the queues named without one', async () => {
    await fill('default', 1, 0, 'other');
    const { code, out } = await cli(['queue:monitor', 'default=1', '--connection', 'other', '--json']);
    expect(code).toBe(2);
    expect(jsonLinesOf(out)).toMatchObject([{ connection: 'other', queue: 'default', size: 1, max: 1, status: 'alert' }]);
  });

  it.each([
    [[], 'E_CLI_INVALID_ARGUMENTS', 'Name the queues to monitor'],
    [['a:b:c'], 'E_CLI_INVALID_ARGUMENTS', '"a:b:c" is not a queue to monitor'],
    [['default,'], 'E_CLI_INVALID_ARGUMENTS', 'An empty queue name'],
    [['images=many'], 'E_CLI_INVALID_OPTION', 'The threshold of "images" must be a whole number ≥ 1; got "many"'],
    [['default', '--max', '0'], 'E_CLI_INVALID_OPTION', '--max must be a whole number ≥ 1'],
    [['nowhere:default'], 'E_UNKNOWN_CONNECTION', 'No queue connection is named "nowhere"'],
  ])('exits 1 for %j with %s', async (args, code, message) => {
    const result = await cli(['queue:monitor', ...args]);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toContain(`error [${code}]: ${message}`);
  });
});

describe('epilogue queue:clear', () => {
  it('deletes the waiting and delayed jobs of the named queue only, and says how many', async () => {
    await fill('images', 2, 1);
    await fill('default', 1);
    await fill('images', 1, 0, 'other');

    const { code, out, err } = await cli(['queue:clear', '--queue', 'images']);

    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe('Cleared 3 waiting or delayed job(s) from the "images" queue of the "memory" connection.\n');
    expect(await manager.size('images')).toBe(0);
    expect(await manager.size('default')).toBe(1);
    expect(await manager.size('images', 'other')).toBe(1);
  });

  it('clears the default queue when none is named, and says so', async () => {
    await fill('default', 2);
    const { code, out } = await cli(['queue:clear']);
    expect(code).toBe(0);
    expect(linesOf(out)).toEqual([
      'No --queue given: clearing the default queue, "default".',
      'Cleared 2 waiting or delayed job(s) from the "default" queue of the "memory" connection.',
    ]);
  });

  // The running job a clear leaves alone: in the driver conformance suite, and across processes
  // in test/queue/queue-operations.test.ts (here the command's closing of the connections would
  // wait for it).
  it('leaves the failed store alone', async () => {
    const failed = manager.driver().failedJobs;
    await failed.log({ id: 'old', queue: 'default', payload: '{}', exception: 'Error: x', failedAt: 1 });
    await fill('default', 1);

    const { code, out } = await cli(['queue:clear', '--queue', 'default', '--json']);

    expect(code).toBe(0);
    expect(jsonLinesOf(out)).toEqual([
      { event: 'cleared', connection: 'memory', queue: 'default', defaultQueue: false, count: 1 },
    ]);
    expect((await failed.list()).map((record) => record.id)).toEqual(['old']);
  });

  it('fails with E_DRIVER_UNSUPPORTED naming the driver when it has no clear()', async () => {
    await fill('default', 1, 0, 'bare');
    const { code, err } = await cli(['queue:clear', '--connection', 'bare']);
    expect(code).toBe(1);
    expect(err).toMatch(/^error \[E_DRIVER_UNSUPPORTED\]: The "bare" connection's driver \(NoClearDriver\) cannot /);
    expect(await manager.size('default', 'bare')).toBe(1);
  });

  it('takes the name of one queue only', async () => {
    const { code, err } = await cli(['queue:clear', '--queue', 'default,images']);
    expect(code).toBe(1);
    expect(err).toBe('error [E_CLI_INVALID_OPTION]: --queue must be the name of one queue; got "default,images".\n');
  });
});

describe('epilogue queue:restart', () => {
  it('signals every connection with workers, saying when the signal only reaches this process', async () => {
    const { code, out, err } = await cli(['queue:restart', '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = jsonLinesOf(out);
    expect(lines.map((line) => [line.event, line.connection, line.shared])).toEqual([
      ['restart', 'memory', false],
      ['restart', 'other', false],
      ['restart', 'bare', false],
    ]);
  });

  it('signals only the connection --connection names', async () => {
    const { code, out } = await cli(['queue:restart', '--connection', 'other']);
    expect(code).toBe(0);
    expect(out).toMatch(
      /^Signalled a restart on the "other" connection at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: its store is in process memory, so only workers in this process would see it\.\n$/,
    );
  });
});

describe('epilogue queue:prune-failed', () => {
  const HOUR = 3_600_000;

  async function logFailures() {
    const failed = manager.driver().failedJobs;
    const now = Date.now();
    for (const [id, hoursAgo] of [['old', 48], ['day', 25], ['recent', 2]] as const) {
      await failed.log({ id, queue: 'default', payload: '{}', exception: 'Error: x', failedAt: now - hoursAgo * HOUR });
    }
    return async () => (await failed.list()).map((record) => record.id);
  }

  it('deletes the failed jobs older than 24 hours by default, and says how many', async () => {
    const ids = await logFailures();
    const { code, out, err } = await cli(['queue:prune-failed']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(
      /^Pruned 2 failed job\(s\) of the "memory" connection that failed before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(more than 24 hour\(s\) ago\)\.\n$/,
    );
    expect(await ids()).toEqual(['recent']);
  });

  it('takes --hours, 0 for every failed job', async () => {
    const ids = await logFailures();
    const { out } = await cli(['queue:prune-failed', '--hours', '30', '--json']);
    expect(jsonLinesOf(out)).toMatchObject([{ event: 'pruned', connection: 'memory', count: 1, hours: 30 }]);
    expect(await ids()).toEqual(['day', 'recent']);
    expect(jsonLinesOf((await cli(['queue:prune-failed', '--hours', '0', '--json'])).out)).toMatchObject([{ count: 2 }]);
    expect(await ids()).toEqual([]);
  });

  it('exits 1 for hours that are not a number ≥ 0', async () => {
    const { code, err } = await cli(['queue:prune-failed', '--hours=-1']);
    expect(code).toBe(1);
    expect(err).toBe('error [E_CLI_INVALID_OPTION]: --hours must be a number of hours ≥ 0; got "-1".\n');
  });
});
