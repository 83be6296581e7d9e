import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configureQueues,
  DriverClosedError,
  MemoryDriver,
  QueuedJob,
  SyncDriver,
  type QueuedJobOptions,
  type QueueManager,
} from '@epilogue/queue';
import { runCli } from '@epilogue/queue/cli';
import { useApp } from './fixtures/current-app.js';
import { fixture, jsonLinesOf, linesOf, testIo, until } from './fixtures/test-io.js';

const trail: string[] = [];
let gate: { opened: Promise<void>; open: () => void };

@ShouldQueue()
class Greet extends Job {
  constructor(public who: string) {
    super();
  }
  handle() {
    trail.push(this.who);
  }
}

@ShouldQueue()
class Explode extends Job {
  handle() {
    throw new Error('boom');
  }
}

@ShouldQueue()
class Gated extends Job {
  async handle() {
    trail.push('start');
    await gate.opened;
    trail.push('end');
  }
}

const times: Record<string, number[]> = {};
const mark = (what: string) => (times[what] ??= []).push(Date.now());

@ShouldQueue()
class Progressing extends QueuedJob {
  async handle() {
    await this.progress(50);
    void this.progress(100);
  }
}

@ShouldQueue()
class ProgressTooFar extends QueuedJob {
  async handle() {
    await this.progress(150);
  }
}

/** Throws on its first attempt, then succeeds; declares no tries or backoff of its own. */
@ShouldQueue()
class FailsOnce extends QueuedJob {
  handle() {
    mark('FailsOnce');
    if (this.attempts() === 1) throw new Error('first attempt');
  }
}

/** Declares one try: a worker's --tries does not give it more. */
@ShouldQueue()
class OneTry extends QueuedJob implements QueuedJobOptions {
  tries = 1;
  handle() {
    mark('OneTry');
    throw new Error('once only');
  }
}

/** Declares a 50 ms timeout: a worker's longer --timeout does not lift it. */
@ShouldQueue()
class QuickTimeout extends QueuedJob implements QueuedJobOptions {
  tries = 1;
  timeout = 0.05;
  async handle() {
    await gate.opened;
  }
}

@ShouldQueue()
class ReleasesOnce extends QueuedJob implements QueuedJobOptions {
  tries = 2;
  handle() {
    mark('ReleasesOnce');
    if (this.attempts() === 1) this.release(0.2);
  }
}

@ShouldQueue()
class Stamp extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    mark(`${this.label} start`);
    mark(`${this.label} end`);
  }
}

let app: Application;
let manager: QueueManager;

beforeEach(() => {
  trail.length = 0;
  for (const key of Object.keys(times)) delete times[key];
  let open!: () => void;
  gate = { opened: new Promise<void>((resolve) => (open = resolve)), open };
  app = new Application({ report: () => undefined });
  manager = configureQueues(app, {
    default: 'memory',
    connections: { memory: new MemoryDriver(), other: new MemoryDriver(), sync: new SyncDriver() },
  });
  useApp(app);
});

const APP = fixture('current-app.ts');
const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function work(args: string[], io = testIo()) {
  return runCli(['queue:work', '--app', APP, ...args], io.io);
}

describe('epilogue queue:work', () => {
  it('runs the jobs until the queues are empty, a line per job, closes the connections and exits 0', async () => {
    const first = String(await Greet.dispatch('ada'));
    const failing = String(await Explode.dispatch());
    const io = testIo();

    await expect(work(['--stop-when-empty'], io)).resolves.toBe(0);

    const lines = linesOf(io.out);
    expect(lines[0]).toBe(
      'Working the default queue(s) of the "memory" connection. ' +
        'Ctrl+C or SIGTERM stops it once the running jobs finish.',
    );
    expect(lines[1]).toMatch(new RegExp(`^${TIME}  Greet  ${first}  RUNNING$`));
    expect(lines[2]).toMatch(new RegExp(`^${TIME}  Greet  ${first}  \\d+\\.\\d ms  DONE$`));
    expect(lines[3]).toMatch(new RegExp(`^${TIME}  Explode  ${failing}  RUNNING$`));
    expect(lines[4]).toMatch(new RegExp(`^${TIME}  Explode  ${failing}  \\d+\\.\\d ms  FAILED$`));
    expect(lines[5]).toBe('    Error: boom');
    expect(lines[6]).toBe('Worker stopped: the queues are empty (2 job(s) run).');
    expect(lines).toHaveLength(7);
    expect(io.err).toBe('');
    expect(trail).toEqual(['ada']);
    await expect(Greet.dispatch('late')).rejects.toBeInstanceOf(DriverClosedError);
  });

  it('stops after --max-jobs jobs and leaves the rest on the queue', async () => {
    for (const who of ['a', 'b', 'c']) await Greet.dispatch(who);
    const io = testIo();

    await expect(work(['--max-jobs', '2'], io)).resolves.toBe(0);

    expect(trail).toEqual(['a', 'b']);
    expect(linesOf(io.out).filter((line) => line.endsWith('DONE'))).toHaveLength(2);
    expect(io.out).toContain('Worker stopped: reached --max-jobs (2 job(s) run).');
    expect(await manager.size('default')).toBe(1);
  });

  it('stops after --max-time seconds', async () => {
    const io = testIo();
    await expect(work(['--max-time', '0.05'], io)).resolves.toBe(0);
    expect(io.out).toContain('Worker stopped: reached --max-time (0 job(s) run).');
  });

  it('prints one JSON object per line with --json', async () => {
    const id = String(await Greet.dispatch('ada'));
    const failing = String(await Explode.dispatch());
    const io = testIo();

    await expect(work(['--stop-when-empty', '--json'], io)).resolves.toBe(0);

    const [started, processing, completed, , failed, stopped, ...rest] = jsonLinesOf(io.out);
    expect(rest).toEqual([]);
    expect(started).toEqual({ event: 'started', connection: 'memory', queues: ['default'] });
    const time = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);
    expect(processing).toEqual({ event: 'processing', time, id, name: 'Greet', queue: 'default', attempts: 1 });
    expect(completed).toEqual({
      event: 'processed',
      time,
      id,
      name: 'Greet',
      queue: 'default',
      attempts: 1,
      status: 'completed',
      outcome: 'done',
      durationMs: expect.any(Number),
    });
    expect(failed).toMatchObject({ event: 'processed', id: failing, status: 'failed', outcome: 'failed' });
    expect(failed.error).toEqual({ name: 'Error', message: 'boom' });
    expect(stopped).toEqual({ event: 'stopped', reason: 'empty', jobs: 2 });
  });

  it('takes jobs from the --queue list, the first preferred, on the --connection given', async () => {
    await Greet.dispatch('low').onConnection('other');
    await Greet.dispatch('high').onConnection('other').onQueue('high');
    await Greet.dispatch('elsewhere');
    const io = testIo();

    await expect(work(['--connection', 'other', '--queue', 'high,default', '--stop-when-empty'], io)).resolves.toBe(0);

    expect(trail).toEqual(['high', 'low']);
    expect(io.out).toContain('Working the high, default queue(s) of the "other" connection.');
  });

  it('stops gracefully on the first signal: no new job, the running one finishes, exit code 0', async () => {
    const running = String(await Gated.dispatch());
    const io = testIo();
    const exit = work(['--concurrency', '1', '--stop-timeout', '5'], io);
    await until(() => trail.includes('start'));
    await Greet.dispatch('never');

    io.signal('SIGTERM');
    expect(io.out).toContain('Stopping (SIGTERM): waiting for 1 running job(s), up to 5 s.');
    gate.open();

    await expect(exit).resolves.toBe(0);
    expect(trail).toEqual(['start', 'end']);
    expect(io.out).toMatch(new RegExp(`Gated  ${running}  .*  DONE\\n`));
    expect(io.out).toContain('Worker stopped: stopped on a signal (1 job(s) run).');
    expect(io.listening).toBe(false);
    expect(io.exits).toEqual([]);
  });

  it('exits at once on a second signal, with 128 + the signal number, and says which jobs still ran', async () => {
    const running = String(await Gated.dispatch());
    const io = testIo();
    const exit = work(['--json'], io);
    await until(() => trail.includes('start'));

    io.signal('SIGINT');
    io.signal('SIGINT');

    await expect(exit).resolves.toBe(130);
    expect(io.exits).toEqual([130]);
    expect(JSON.parse(io.err)).toMatchObject({ event: 'error', code: 'E_WORKER_INTERRUPTED' });
    expect(io.err).toContain(running);
    expect(jsonLinesOf(io.out).at(-1)).toEqual({ event: 'stopping', signal: 'SIGINT', running: 1 });
    gate.open(); // let the abandoned job end, so that nothing outlives the test
    await until(() => trail.includes('end'));
  });

  it('exits at once with code 1 when the stop gave up waiting for a running job', async () => {
    const running = String(await Gated.dispatch());
    const io = testIo();
    const exit = work(['--stop-timeout', '0.01'], io);
    await until(() => trail.includes('start'));

    io.signal('SIGTERM');

    await expect(exit).resolves.toBe(1);
    expect(io.exits).toEqual([1]);
    expect(io.out).toContain('Worker stopped: stopped on a signal (0 job(s) run).');
    expect(io.err).toBe(
      'error [E_WORKER_STOP_TIMEOUT]: The worker stopped waiting after 10 ms with 1 job(s) still running ' +
        `(${running}). ` +
        'Their drivers will deliver them again if they never finish; raise `stopTimeoutMs` to wait longer.\n',
    );
    gate.open();
    await until(() => trail.includes('end'));
  });

  it('prints the progress a job reports, and fails a job that reports a value out of 0-100', async () => {
    const id = String(await Progressing.dispatch());
    const tooFar = String(await ProgressTooFar.dispatch());
    const io = testIo();

    await expect(work(['--stop-when-empty'], io)).resolves.toBe(0);

    const lines = linesOf(io.out);
    expect(lines.slice(1, 5)).toEqual([
      expect.stringMatching(new RegExp(`^${TIME}  Progressing  ${id}  RUNNING$`)),
      expect.stringMatching(new RegExp(`^${TIME}  Progressing  ${id}  50%$`)),
      expect.stringMatching(new RegExp(`^${TIME}  Progressing  ${id}  100%$`)),
      expect.stringMatching(new RegExp(`^${TIME}  Progressing  ${id}  \\d+\\.\\d ms  DONE$`)),
    ]);
    expect(io.out).toMatch(
      new RegExp(`ProgressTooFar  ${tooFar}  \\d+\\.\\d ms  FAILED\n    \\[E_INVALID_JOB_PROGRESS\\] InvalidJobProgressError: `),
    );
  });

  it('writes a JSON line for each progress report with --json', async () => {
    const json = testIo();
    await Progressing.dispatch();
    await expect(work(['--stop-when-empty', '--json'], json)).resolves.toBe(0);
    const progress = jsonLinesOf(json.out).filter((line) => line.event === 'progress');
    expect(progress).toEqual([50, 100].map((percent) => expect.objectContaining({ name: 'Progressing', attempts: 1, percent })));
  });

  it('gives jobs without their own settings the --tries and --backoff given, and waits out the backoff with --stop-when-empty', async () => {
    const id = String(await FailsOnce.dispatch());
    const io = testIo();

    await expect(work(['--tries', '2', '--backoff', '0.2', '--stop-when-empty'], io)).resolves.toBe(0);

    const [first, second] = times.FailsOnce;
    expect(second - first).toBeGreaterThanOrEqual(190);
    const lines = linesOf(io.out);
    expect(lines[2]).toMatch(new RegExp(`^${TIME}  FailsOnce  ${id}  \\d+\\.\\d ms  FAILED, RETRYING in 200\\.0 ms$`));
    expect(lines[3]).toBe('    Error: first attempt');
    expect(lines[4]).toMatch(new RegExp(`^No job is ready; waiting for a delayed job due at ${TIME} \\(--stop-when-empty\\)\\.$`));
    expect(lines[5]).toMatch(new RegExp(`^${TIME}  FailsOnce  ${id}  \\(attempt 2\\)  RUNNING$`));
    expect(lines[6]).toMatch(new RegExp(`^${TIME}  FailsOnce  ${id}  \\(attempt 2\\)  \\d+\\.\\d ms  DONE$`));
    expect(lines[7]).toBe('Worker stopped: the queues are empty (2 job(s) run).');
    expect(lines).toHaveLength(8);
  });

  it("keeps a job's own tries and timeout over --tries and --timeout, and times out the others at --timeout", async () => {
    await OneTry.dispatch();
    const quick = String(await QuickTimeout.dispatch());
    const stuck = String(await Gated.dispatch());
    const io = testIo();

    await expect(work(['--tries', '5', '--timeout', '0.1', '--concurrency', '2', '--stop-when-empty', '--json'], io)).resolves.toBe(0);
    gate.open();

    expect(times.OneTry).toHaveLength(1);
    const processed = jsonLinesOf(io.out).filter((line) => line.event === 'processed');
    const byId = (id: string) => processed.filter((line) => line.id === id);
    // The job's own 50 ms, once; the worker's 100 ms for Gated, five times.
    expect(byId(quick)).toEqual([expect.objectContaining({ outcome: 'failed', error: expect.objectContaining({ code: 'E_JOB_TIMED_OUT' }) })]);
    expect(byId(quick)[0].error).toMatchObject({ message: expect.stringContaining('0.05') });
    expect(byId(stuck).map((line) => line.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'retrying', 'failed']);
    expect(byId(stuck)[0].error).toMatchObject({ message: expect.stringContaining('0.1') });
  });

  it('waits for a delayed job due soon with --stop-when-empty, and leaves one due later, saying so', async () => {
    const released = String(await ReleasesOnce.dispatch());
    await Greet.dispatch('soon').delay(0.15);
    await Greet.dispatch('later').delay(300);
    const io = testIo();

    await expect(work(['--stop-when-empty'], io)).resolves.toBe(0);

    expect(trail).toEqual(['soon']);
    expect(times.ReleasesOnce).toHaveLength(2);
    expect(io.out).toMatch(new RegExp(`ReleasesOnce  ${released}  \\d+\\.\\d ms  RELEASED, BACK in 200\\.0 ms\n`));
    const lines = linesOf(io.out);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^No job is ready; waiting for a delayed job due at ${TIME} \\(--stop-when-empty\\)\\.$`)),
    );
    expect(lines.at(-2)).toMatch(new RegExp(`^Delayed jobs not due yet: default \\(1 delayed, the next due at ${TIME}\\)\\.$`));
    expect(lines.at(-1)).toBe('Worker stopped: the queues are empty (3 job(s) run).');
    expect(await manager.size('default')).toBe(1);
  });

  it('says where jobs wait that it does not take, at start and when it stops for empty queues', async () => {
    for (const who of ['a', 'b', 'c']) await Greet.dispatch(who).onQueue('images');
    await Greet.dispatch('d').onQueue('mail').delay(300);
    const io = testIo();

    await expect(work(['--stop-when-empty'], io)).resolves.toBe(0);

    const notice =
      escape('4 job(s) wait on queues this worker does not take from: images (3 ready), mail (1 delayed, the next due at ') +
      TIME +
      escape('). To run them too: --queue default,images,mail');
    const lines = linesOf(io.out);
    expect(lines).toEqual([
      expect.stringMatching(/^Working the default queue/),
      expect.stringMatching(new RegExp(`^${notice}$`)),
      expect.stringMatching(new RegExp(`^${notice}$`)),
      'Worker stopped: the queues are empty (0 job(s) run).',
    ]);

    const json = testIo();
    await expect(work(['--stop-when-empty', '--json', '--queue', 'default,mail'], json)).resolves.toBe(0);
    expect(jsonLinesOf(json.out)[1]).toEqual({ event: 'unserved', queues: [{ queue: 'images', ready: 3, delayed: 0 }] });
  });

  it('stops after the current job once its memory is over --memory, with exit code 12', async () => {
    for (const who of ['a', 'b']) await Greet.dispatch(who);
    const io = testIo();

    await expect(work(['--memory', '1'], io)).resolves.toBe(12);

    expect(trail).toEqual(['a']);
    expect(linesOf(io.out).at(-1)).toMatch(
      /^Worker stopped: its memory is over --memory \(\d+(\.\d)? MB, the limit is 1 MB\) \(1 job\(s\) run\)\.$/,
    );
    await expect(Greet.dispatch('late')).rejects.toBeInstanceOf(DriverClosedError);
  });

  it('pauses --rest seconds between jobs', async () => {
    await Stamp.dispatch('first');
    await Stamp.dispatch('second');
    const io = testIo();

    await expect(work(['--rest', '0.15', '--stop-when-empty', '--sleep', '1'], io)).resolves.toBe(0);

    expect(times['second start'][0] - times['first end'][0]).toBeGreaterThanOrEqual(140);
  });

  it('writes the JSON lines to stderr with --json=stderr, the text staying on stdout', async () => {
    const id = String(await Greet.dispatch('ada'));
    const io = testIo();

    await expect(work(['--stop-when-empty', '--json=stderr'], io)).resolves.toBe(0);

    expect(io.out).toMatch(new RegExp(`Greet  ${id}  \\d+\\.\\d ms  DONE\n`));
    expect(jsonLinesOf(io.err).map((line) => line.event)).toEqual(['started', 'processing', 'processed', 'stopped']);
  });

  it('appends the JSON lines to the file --json=<path> names, errors too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'epilogue-json-'));
    try {
      await Greet.dispatch('ada');
      const first = testIo({ cwd: dir });
      await expect(work(['--stop-when-empty', '--json=events.ndjson'], first)).resolves.toBe(0);
      const second = testIo({ cwd: dir });
      await expect(work(['--connection', 'sync', '--json=events.ndjson'], second)).resolves.toBe(1);

      expect(first.out).toContain('Worker stopped: the queues are empty (1 job(s) run).');
      expect(second.err).toMatch(/^error \[E_INVALID_QUEUE_CONFIG\]/);
      const events = jsonLinesOf(readFileSync(join(dir, 'events.ndjson'), 'utf8'));
      expect(events.map((line) => line.event)).toEqual(['started', 'processing', 'processed', 'stopped', 'error']);
      expect(events.at(-1)).toMatchObject({ code: 'E_INVALID_QUEUE_CONFIG' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--json='], '--json must be stdout, stderr, fd:<n> (an open file descriptor) or a file path; got "".'],
    [['--json=fd:x'], '--json must be stdout, stderr, fd:<n> (an open file descriptor) or a file path; got "fd:x".'],
    [['--json=fd:987'], '--json must be an open file descriptor (EBADF); got "fd:987".'],
  ])('refuses %j with exit code 1', async (args, message) => {
    const io = testIo();
    await expect(runCli(['queue:work', '--app', 'missing.js', ...args], io.io)).resolves.toBe(1);
    expect(io.err).toBe(`error [E_CLI_INVALID_OPTION]: ${message}\n`);
    expect(io.out).toBe('');
  });

  it.each([
    [['--concurrency', 'abc'], '--concurrency must be a whole number ≥ 1; got "abc".'],
    [['--concurrency', '0'], '--concurrency must be a whole number ≥ 1; got "0".'],
    [['--max-jobs', '1.5'], '--max-jobs must be a whole number ≥ 1; got "1.5".'],
    [['--max-time', '0'], '--max-time must be a number of seconds > 0; got "0".'],
    [['--stop-timeout', 'soon'], '--stop-timeout must be a number of seconds ≥ 0; got "soon".'],
    [['--tries=-1'], '--tries must be a whole number ≥ 0; got "-1".'],
    [['--backoff', '5,x'], '--backoff must be seconds ≥ 0, or a comma-separated list of them such as 5,30; got "5,x".'],
    [['--timeout', '0'], '--timeout must be a number of seconds > 0; got "0".'],
    [['--memory', '128MB'], '--memory must be a number of megabytes > 0; got "128MB".'],
    [['--sleep', '0'], '--sleep must be a number of seconds > 0; got "0".'],
    [['--rest=-1'], '--rest must be a number of seconds ≥ 0; got "-1".'],
    [
      ['--queue', 'high,,default'],
      '--queue must be a comma-separated list of names, such as high,default; got "high,,default".',
    ],
  ])('refuses %j with exit code 1 before it loads the app', async (args, message) => {
    const io = testIo();
    await expect(runCli(['queue:work', '--app', 'missing.js', ...args], io.io)).resolves.toBe(1);
    expect(io.err).toBe(`error [E_CLI_INVALID_OPTION]: ${message}\n`);
    expect(io.out).toBe('');
  });

  it('refuses the sync connection, and closes the connections it opened', async () => {
    const io = testIo();
    await expect(work(['--connection', 'sync'], io)).resolves.toBe(1);
    expect(io.err).toMatch(/^error \[E_INVALID_QUEUE_CONFIG\]: The "sync" connection runs jobs as they are dispatched/);
    await expect(Greet.dispatch('late')).rejects.toBeInstanceOf(DriverClosedError);
  });

  it('names the configured connections when --connection is unknown', async () => {
    const io = testIo();
    await expect(work(['--connection', 'redis'], io)).resolves.toBe(1);
    expect(io.err).toBe(
      'error [E_UNKNOWN_CONNECTION]: No queue connection is named "redis". ' +
        'Configured connections: memory, other, sync.\n',
    );
  });
});
