import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BullMQDriver } from '@epilogue/bullmq';
import { Redis } from 'ioredis';
import { buildPackages } from '../adapters/build-packages.js';
import { exitCode, runProcess, type Started, startProcess, startWorkerProcess } from '@epilogue-internal/test-support/processes';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

// The queue operations commands of the `epilogue` bin, each run as its own process the way an
// operator or a deploy script runs it, against workers in other processes on the local Redis.
const appModule = join(__dirname, 'fixtures/redis-app.mjs');
const dispatchScript = join(__dirname, 'fixtures/dispatch.mjs');
const dispatchHeldScript = join(__dirname, 'fixtures/dispatch-held.mjs');
const bin = join(__dirname, '../../packages/queue/dist/cli/main.mjs');

/** Runs `epilogue <args>` to its end: its exit code and output. */
async function epilogue(prefix: string, args: readonly string[], env: Record<string, string> = {}) {
  const run = startProcess(prefix, bin, args, { env });
  const code = await new Promise<number | null>((resolve) => run.child.on('exit', resolve));
  return { code, output: run.output() };
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));

beforeAll(() => buildPackages(['core', 'bus', 'queue', 'bullmq']), 120_000);

describeWithRedis('queue operations on the BullMQ driver, through the epilogue bin', () => {
  let prefix: string;
  let redis: Redis;
  let driver: BullMQDriver;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('operations');
    redis = new Redis(REDIS);
    driver = new BullMQDriver({ connection: REDIS, prefix });
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await driver.close();
    redis.disconnect();
    await deleteKeys(prefix);
  });

  const list = (name: string) => redis.lrange(`${prefix}::${name}`, 0, -1);
  const until = async (what: string, test: () => boolean | Promise<boolean>, waitMs = 15_000) => {
    const deadline = Date.now() + waitMs;
    while (!(await test())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const worker = async (): Promise<Started> => {
    const started = startWorkerProcess(prefix, appModule, ['--concurrency', '1']);
    children.push(started.child);
    await until('the worker to start', () => started.output().includes('"event":"started"'));
    return started;
  };
  const dispatch = (count: number, ms: number) => runProcess(prefix, dispatchScript, [String(count), String(ms)]);
  const dispatchHeld = (count: number) => runProcess(prefix, dispatchHeldScript, [String(count)]);
  const pidsOf = (entries: string[]) => new Set(entries.map((entry) => entry.split(':')[1]));

  it('queue:monitor reports waiting + delayed sizes against thresholds and exits 2 when one is reached', async () => {
    await driver.push('a', { queue: 'default' });
    await driver.push('b', { queue: 'default', delayMs: 3_600_000 });
    await driver.push('c', { queue: 'images' });
    await driver.push('d', { queue: 'images', delayMs: 3_600_000 });

    const alert = await epilogue(prefix, ['queue:monitor', 'default,images=2', '--app', appModule, '--json']);
    expect(alert.code).toBe(2);
    expect(jsonLines(alert.output)).toEqual([
      expect.objectContaining({ connection: 'redis', queue: 'default', size: 2, max: 1000, status: 'ok' }),
      expect.objectContaining({ connection: 'redis', queue: 'images', size: 2, max: 2, status: 'alert' }),
    ]);

    const ok = await epilogue(prefix, ['queue:monitor', 'default', 'images', '--max', '3', '--app', appModule]);
    expect(ok.code).toBe(0);
    expect(ok.output).toContain('redis       images   2     3    OK');
  }, 30_000);

  it('queue:clear deletes the waiting and delayed jobs of that queue only; a running job finishes', async () => {
    await driver.failedJobs.log({ id: 'kept', queue: 'default', payload: '{}', exception: 'Error: x', failedAt: 1 });
    await driver.push('c', { queue: 'images' });
    const running = await worker();
    await dispatchHeld(1);
    await until('the held job to start', async () => (await list('started')).length === 1);
    await dispatch(3, 0);
    await driver.push('later', { queue: 'default', delayMs: 3_600_000 });

    const cleared = await epilogue(prefix, ['queue:clear', '--app', appModule, '--json']);

    expect(cleared.code).toBe(0);
    expect(jsonLines(cleared.output)).toEqual([
      { event: 'cleared', connection: 'redis', queue: 'default', defaultQueue: true, count: 4 },
    ]);
    expect(await driver.size('default')).toBe(0);
    expect(await driver.size('images')).toBe(1);
    await redis.set(`${prefix}::release`, '1');
    await until('the held job to finish', async () => (await list('ran')).length === 1);
    running.child.kill('SIGTERM');
    expect(await exitCode(running)).toBe(0);
    expect((await list('ran')).map((entry) => entry.split(':')[0])).toEqual(['held-0']);
    expect((await driver.failedJobs.list()).map((record) => record.id)).toEqual(['kept']);
  }, 30_000);

  it('queue:prune-failed deletes the failed jobs older than --hours, with the app from EPILOGUE_APP', async () => {
    const now = Date.now();
    for (const [id, hoursAgo] of [['old', 30], ['recent', 1]] as const) {
      await driver.failedJobs.log({ id, queue: 'default', payload: '{}', exception: 'Error: x', failedAt: now - hoursAgo * 3_600_000 });
    }
    const pruned = await epilogue(prefix, ['queue:prune-failed', '--json'], { EPILOGUE_APP: appModule });
    expect(pruned.code).toBe(0);
    expect(jsonLines(pruned.output)).toMatchObject([{ event: 'pruned', connection: 'redis', count: 1, hours: 24 }]);
    expect((await driver.failedJobs.list()).map((record) => record.id)).toEqual(['recent']);
  }, 30_000);

  it('queue:restart: two workers finish their running job and exit 0; a worker started afterwards keeps working', async () => {
    const first = await worker();
    const second = await worker();
    await dispatchHeld(2);
    await until('both workers to run a job', async () => pidsOf(await list('started')).size === 2);

    const restart = await epilogue(prefix, ['queue:restart', '--app', appModule, '--json']);
    expect(restart.code).toBe(0);
    expect(jsonLines(restart.output)).toMatchObject([{ event: 'restart', connection: 'redis', shared: true }]);
    // A job dispatched after the restart waits for a worker that started after it.
    await dispatch(1, 0);
    // The workers read the signal every second; they keep running their job until it ends.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([first.child.exitCode, second.child.exitCode]).toEqual([null, null]);
    await redis.set(`${prefix}::release`, '1');

    expect(await exitCode(first)).toBe(0);
    expect(await exitCode(second)).toBe(0);
    const processed = [first, second].flatMap((run) => jsonLines(run.output()).filter((line) => line.event === 'processed'));
    expect(processed.map((line) => [line.name, line.status])).toEqual([
      ['Held', 'completed'],
      ['Held', 'completed'],
    ]);
    expect(new Set(processed.map((line) => line.id)).size).toBe(2);
    expect((await list('ran')).map((entry) => entry.split(':')[0]).sort()).toEqual(['held-0', 'held-1']);
    for (const run of [first, second]) {
      expect(jsonLines(run.output()).at(-1)).toEqual({ event: 'stopped', reason: 'restart', jobs: 1 });
    }
    expect(await driver.size('default')).toBe(1);

    const third = await worker();
    await until('the third worker to run the waiting job', async () => (await list('ran')).length === 3);
    expect((await list('ran'))[2]).toBe(`0:${third.child.pid}`);
    // It outlives a few checks of the signal, which it read at start.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(third.child.exitCode).toBeNull();
    third.child.kill('SIGTERM');
    expect(await exitCode(third)).toBe(0);
  }, 45_000);
});
