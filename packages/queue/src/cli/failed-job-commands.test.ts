import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryDriver, Worker, type QueueManager } from '@epilogue/queue';
import { runCli } from '@epilogue/queue/cli';
import { useApp } from './fixtures/current-app.js';
import { fixture, jsonLinesOf, linesOf, testIo } from './fixtures/test-io.js';

let healthy = false;
const ran: string[] = [];

@ShouldQueue()
class Flaky extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    if (!healthy) throw new Error(`${this.label} is flaky\nsecond line`);
    ran.push(this.label);
  }
}

let manager: QueueManager;

beforeEach(() => {
  healthy = false;
  ran.length = 0;
  const app = new Application({ report: () => undefined });
  manager = configureQueues(app, {
    default: 'memory',
    connections: { memory: new MemoryDriver(), other: new MemoryDriver() },
  });
  useApp(app);
});

const APP = fixture('current-app.ts');
const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;

/** Dispatches two jobs that fail (the second on the "other" queue) and works them: their ids. */
async function failTwo(): Promise<[string, string]> {
  const first = String(await Flaky.dispatch('first'));
  const second = String(await Flaky.dispatch('second').onQueue('other'));
  await new Worker(Application.getInstance(), { stopWhenEmpty: true, queues: ['default', 'other'] }).run();
  return [first, second];
}

async function cli(args: string[]) {
  const io = testIo();
  const code = await runCli([...args, '--app', APP], io.io);
  return { code, out: io.out, err: io.err };
}

const failedIds = async (connection?: string) => (await manager.failedJobs(connection).list()).map((job) => job.id);

describe('epilogue queue:failed', () => {
  it('lists the failed jobs as a table: id, queue, job, when, the first line of the exception', async () => {
    const [first, second] = await failTwo();
    const { code, out, err } = await cli(['queue:failed']);
    expect(code).toBe(0);
    expect(err).toBe('');
    const [header, ...rows] = linesOf(out);
    expect(header).toMatch(/^ID +QUEUE +JOB +FAILED AT +EXCEPTION$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^${first}  default  Flaky  ${TIME}  Error: first is flaky$`));
    expect(rows[1]).toMatch(new RegExp(`^${second}  other    Flaky  ${TIME}  Error: second is flaky$`));
  });

  it('prints one JSON object per failed job with --json', async () => {
    const [first, second] = await failTwo();
    const { code, out } = await cli(['queue:failed', '--json']);
    expect(code).toBe(0);
    const failedAt = expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(jsonLinesOf(out)).toEqual([
      { id: first, queue: 'default', name: 'Flaky', failedAt, exception: 'Error: first is flaky' },
      { id: second, queue: 'other', name: 'Flaky', failedAt, exception: 'Error: second is flaky' },
    ]);
  });

  it('writes its records to stderr with --json=stderr, the table staying on stdout', async () => {
    const [first, second] = await failTwo();
    const { code, out, err } = await cli(['queue:failed', '--json=stderr']);
    expect(code).toBe(0);
    expect(linesOf(out)[0]).toMatch(/^ID +QUEUE +JOB +FAILED AT +EXCEPTION$/);
    expect(jsonLinesOf(err).map((record) => record.id)).toEqual([first, second]);
  });

  it('says so when there are no failed jobs, and prints nothing with --json', async () => {
    const none = 'No failed jobs on the "memory" connection.\n';
    expect(await cli(['queue:failed'])).toEqual({ code: 0, out: none, err: '' });
    expect(await cli(['queue:failed', '--json'])).toEqual({ code: 0, out: '', err: '' });
  });

  it('reads the failed jobs of the --connection given', async () => {
    await failTwo();
    const { out } = await cli(['queue:failed', '--connection', 'other']);
    expect(out).toBe('No failed jobs on the "other" connection.\n');
  });

  it('names a job whose payload cannot be read "(unreadable payload)"', async () => {
    const record = { id: 'bad-1', queue: 'default', payload: '{not json', exception: 'Refused', failedAt: 0 };
    await manager.driver().failedJobs.log(record);
    const { out } = await cli(['queue:failed', '--json']);
    expect(jsonLinesOf(out)).toEqual([expect.objectContaining({ id: 'bad-1', name: '(unreadable payload)' })]);
  });

  it('shows one failed job in full, payload and whole exception, given its id', async () => {
    const [first] = await failTwo();
    const { code, out } = await cli(['queue:failed', first]);
    expect(code).toBe(0);
    expect(out).toContain(`ID         ${first}\nQueue      default\nJob        Flaky\nFailed at  `);
    expect(out).toContain('\nPayload\n  {\n    "v": 1,\n');
    expect(out).toContain('\nException\n  Error: first is flaky\n  second line\n');
    const shown = JSON.parse((await cli(['queue:failed', first, '--json'])).out);
    expect(shown).toMatchObject({ id: first, name: 'Flaky', payload: { job: 'Flaky', data: { label: 'first' } } });
    expect(shown.exception).toMatch(/^Error: first is flaky\nsecond line\n/);
  });

  it('exits 1 for an unknown id', async () => {
    expect(await cli(['queue:failed', 'nope'])).toEqual({
      code: 1,
      out: '',
      err: 'error [E_FAILED_JOB_NOT_FOUND]: No failed job has the id "nope".\n',
    });
  });
});

describe('epilogue queue:retry', () => {
  it('pushes the failed jobs with these ids back onto their queues', async () => {
    const [first, second] = await failTwo();
    const { code, out } = await cli(['queue:retry', first, second]);
    expect(code).toBe(0);
    expect(linesOf(out)).toEqual([
      `Retried Flaky (${first}) onto the "default" queue.`,
      `Retried Flaky (${second}) onto the "other" queue.`,
    ]);
    expect(await failedIds()).toEqual([]);
    expect([await manager.size('default'), await manager.size('other')]).toEqual([1, 1]);
  });

  it('retries every failed job with `all`, printing a JSON line each with --json', async () => {
    const [first, second] = await failTwo();
    const { code, out } = await cli(['queue:retry', 'all', '--json']);
    expect(code).toBe(0);
    expect(jsonLinesOf(out)).toEqual([
      { event: 'retried', id: first, name: 'Flaky', queue: 'default' },
      { event: 'retried', id: second, name: 'Flaky', queue: 'other' },
    ]);
    expect(await failedIds()).toEqual([]);
  });

  it('says so when `all` finds nothing to retry', async () => {
    expect(await cli(['queue:retry', 'all'])).toEqual({
      code: 0,
      out: 'No failed jobs to retry on the "memory" connection.\n',
      err: '',
    });
  });

  it('retries the ids it knows, reports the unknown ones and exits 1', async () => {
    const [first] = await failTwo();
    const { code, out, err } = await cli(['queue:retry', 'nope', first]);
    expect(code).toBe(1);
    expect(out).toBe(`Retried Flaky (${first}) onto the "default" queue.\n`);
    expect(err).toBe('error [E_FAILED_JOB_NOT_FOUND]: No failed job has the id "nope".\n');
  });

  it.each([
    [[], 'Give the ids of the failed jobs to retry, or `all`'],
    [['all', 'some-id'], 'Give either `all` or job ids, not both'],
  ])('refuses %j as a usage error', async (ids, detail) => {
    const { code, err } = await cli(['queue:retry', ...ids]);
    expect(code).toBe(1);
    expect(err).toBe(
      `error [E_CLI_INVALID_ARGUMENTS]: ${detail}. Run \`epilogue queue:retry --help\` for usage.\n`,
    );
  });
});

describe('epilogue queue:forget', () => {
  it('deletes the failed job with this id', async () => {
    const [first, second] = await failTwo();
    expect(await cli(['queue:forget', first])).toEqual({ code: 0, out: `Forgot failed job ${first}.\n`, err: '' });
    expect(await failedIds()).toEqual([second]);
  });

  it('exits 1 for an unknown id, with a JSON error line on stderr with --json', async () => {
    const { code, out, err } = await cli(['queue:forget', 'nope', '--json']);
    expect([code, out]).toEqual([1, '']);
    expect(jsonLinesOf(err)).toEqual([
      {
        event: 'error',
        name: 'FailedJobNotFoundError',
        code: 'E_FAILED_JOB_NOT_FOUND',
        message: 'No failed job has the id "nope".',
      },
    ]);
  });

  it('needs an id', async () => {
    const { code, err } = await cli(['queue:forget']);
    expect(code).toBe(1);
    expect(err).toMatch(/^error \[E_CLI_INVALID_ARGUMENTS\]: Give the id of the failed job to forget\./);
  });
});

describe('epilogue queue:flush', () => {
  it('deletes every failed job of the connection and says how many', async () => {
    await failTwo();
    expect(await cli(['queue:flush'])).toEqual({
      code: 0,
      out: 'Flushed 2 failed job(s) from the "memory" connection.\n',
      err: '',
    });
    expect(await failedIds()).toEqual([]);
    expect(jsonLinesOf((await cli(['queue:flush', '--json'])).out)).toEqual([
      { event: 'flushed', connection: 'memory', count: 0 },
    ]);
  });

  it('takes no job ids', async () => {
    const { code, err } = await cli(['queue:flush', 'some-id']);
    expect(code).toBe(1);
    expect(err).toBe(
      "error [E_CLI_INVALID_ARGUMENTS]: Unexpected argument 'some-id'. Run `epilogue queue:flush --help` for usage.\n",
    );
  });
});
