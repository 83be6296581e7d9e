import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  configureQueues,
  DriverClosedError,
  MemoryDriver,
  runCli,
  SyncDriver,
  type QueueManager,
} from '@epilogue/queue';
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

let app: Application;
let manager: QueueManager;

beforeEach(() => {
  trail.length = 0;
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
    expect(lines[1]).toMatch(new RegExp(`^${TIME}  Greet  ${first}  \\d+\\.\\d ms  completed$`));
    expect(lines[2]).toMatch(new RegExp(`^${TIME}  Explode  ${failing}  \\d+\\.\\d ms  failed$`));
    expect(lines[3]).toBe('    Error: boom');
    expect(lines[4]).toBe('Worker stopped: the queues are empty (2 job(s) run).');
    expect(io.err).toBe('');
    expect(trail).toEqual(['ada']);
    await expect(Greet.dispatch('late')).rejects.toBeInstanceOf(DriverClosedError);
  });

  it('stops after --max-jobs jobs and leaves the rest on the queue', async () => {
    for (const who of ['a', 'b', 'c']) await Greet.dispatch(who);
    const io = testIo();

    await expect(work(['--max-jobs', '2'], io)).resolves.toBe(0);

    expect(trail).toEqual(['a', 'b']);
    expect(linesOf(io.out).filter((line) => line.endsWith('completed'))).toHaveLength(2);
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

    const [started, completed, failed, stopped, ...rest] = jsonLinesOf(io.out);
    expect(rest).toEqual([]);
    expect(started).toEqual({ event: 'started', connection: 'memory', queues: ['default'] });
    expect(completed).toEqual({
      event: 'processed',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      id,
      name: 'Greet',
      queue: 'default',
      attempts: 1,
      status: 'completed',
      durationMs: expect.any(Number),
    });
    expect(failed).toMatchObject({ event: 'processed', id: failing, status: 'failed' });
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
    expect(io.out).toMatch(new RegExp(`Gated  ${running}  .*  completed\\n`));
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

  it.each([
    [['--concurrency', 'abc'], '--concurrency must be a whole number ≥ 1; got "abc".'],
    [['--concurrency', '0'], '--concurrency must be a whole number ≥ 1; got "0".'],
    [['--max-jobs', '1.5'], '--max-jobs must be a whole number ≥ 1; got "1.5".'],
    [['--max-time', '0'], '--max-time must be a number of seconds > 0; got "0".'],
    [['--stop-timeout', 'soon'], '--stop-timeout must be a number of seconds ≥ 0; got "soon".'],
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
