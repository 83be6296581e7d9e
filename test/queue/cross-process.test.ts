import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { exitCode, runProcess, type Started, startWorkerProcess } from '@epilogue-internal/test-support/processes';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

// Worker processes started the way a deployment starts them: the `epilogue` bin from the built
// queue package, loading an application module, against the local Redis.
const appModule = join(__dirname, 'fixtures/redis-app.mjs');
const dispatchScript = join(__dirname, 'fixtures/dispatch.mjs');

function worker(prefix: string, concurrency: number): Started {
  return startWorkerProcess(prefix, appModule, ['--concurrency', String(concurrency)]);
}

function dispatch(prefix: string, count: number, ms = 0): Promise<void> {
  return runProcess(prefix, dispatchScript, [String(count), String(ms)]);
}

describeWithRedis('workers in separate processes on one Redis queue', () => {
  let prefix: string;
  let redis: Redis;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('processes');
    redis = new Redis(REDIS);
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    redis.disconnect();
    await deleteKeys(prefix);
  });

  const list = (name: string) => redis.lrange(`${prefix}::${name}`, 0, -1);
  const until = async (test: () => Promise<boolean>, waitMs: number) => {
    const deadline = Date.now() + waitMs;
    while (!(await test())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${waitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('two workers share 2,000 jobs: each runs once, and together they ran exactly the set dispatched', async () => {
    const first = worker(prefix, 8);
    const second = worker(prefix, 8);
    children.push(first.child, second.child);
    await dispatch(prefix, 2000, 1);
    await until(async () => (await redis.llen(`${prefix}::ran`)) >= 2000, 30_000);
    first.child.kill('SIGTERM');
    second.child.kill('SIGTERM');
    expect(await exitCode(first)).toBe(0);
    expect(await exitCode(second)).toBe(0);

    const ran = await list('ran');
    const numbers = ran.map((entry) => Number(entry.split(':')[0])).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 2000 }, (_, n) => n));
    const byWorker = new Set(ran.map((entry) => entry.split(':')[1]));
    expect(byWorker).toEqual(new Set([String(first.child.pid), String(second.child.pid)]));
  }, 60_000);

  it('a worker killed with SIGKILL mid-job loses nothing: its jobs run again on the other worker', async () => {
    const doomed = worker(prefix, 4);
    children.push(doomed.child);
    await dispatch(prefix, 12, 400);
    // Kill it while it holds jobs, some finished, some running.
    await until(async () => {
      const [ran, started] = [await list('ran'), await list('started')];
      return ran.length >= 2 && started.some((entry) => !ran.includes(entry));
    }, 15_000);
    doomed.child.kill('SIGKILL');
    await once(doomed.child, 'exit');
    const ranBefore = await list('ran');
    const startedBefore = await list('started');
    const interrupted = startedBefore.filter((entry) => !ranBefore.includes(entry)).map((e) => e.split(':')[0]);
    expect(interrupted.length).toBeGreaterThan(0);

    const survivor = worker(prefix, 4);
    children.push(survivor.child);
    await until(async () => {
      const done = new Set((await list('ran')).map((entry) => entry.split(':')[0]));
      return done.size === 12;
    }, 20_000);
    survivor.child.kill('SIGTERM');
    expect(await exitCode(survivor)).toBe(0);

    const ran = await list('ran');
    expect(new Set(ran.map((entry) => Number(entry.split(':')[0])))).toEqual(new Set(Array.from({ length: 12 }, (_, n) => n)));
    // Each interrupted job was finished by the survivor.
    for (const n of interrupted) expect(ran).toContain(`${n}:${survivor.child.pid}`);
    // Nothing ended in the failed store.
    expect(await redis.hlen(`${prefix}::failed`)).toBe(0);
  }, 60_000);
});
