import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Dispatcher } from '@epilogue/bus';
import { RedisBatchStore } from '@epilogue/bullmq';
import { Application } from '@epilogue/core';
import { Redis } from 'ioredis';
import { exitCode, type Started, startProcess, startWorkerProcess } from '@epilogue-internal/test-support/processes';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

// Two worker processes, started as a deployment starts them, work the jobs of batches dispatched
// by a third process; this test process only reads Redis, and finds the batches by id.
const appModule = join(__dirname, 'fixtures/batch-app.mjs');
const dispatchScript = join(__dirname, 'fixtures/dispatch-batch.mjs');
const ROUNDS = 5;

interface Dispatched {
  id: string;
  totalJobs: number;
  pendingJobs: number;
}

describeWithRedis('a queued batch worked by two worker processes on one Redis', () => {
  let prefix: string;
  let redis: Redis;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('batch-processes');
    redis = new Redis(REDIS);
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    redis.disconnect();
    await deleteKeys(prefix);
  });

  const worker = (): Started => {
    const started = startWorkerProcess(prefix, appModule, ['--queue', 'batches', '--concurrency', '1']);
    children.push(started.child);
    return started;
  };
  const until = async (what: string, test: () => Promise<boolean>, waitMs = 20_000) => {
    const deadline = Date.now() + waitMs;
    while (!(await test())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const dispatchBatch = async (): Promise<Dispatched> => {
    const script = startProcess(prefix, dispatchScript);
    expect(await exitCode(script)).toBe(0);
    return JSON.parse(script.output().trim().split('\n').pop()!) as Dispatched;
  };
  const count = async (id: string, kind: string) => Number((await redis.get(`${prefix}::callback:${id}:${kind}`)) ?? 0);

  it('runs onSuccess and finally exactly once when the last two jobs finish at the same time on two workers', async () => {
    const workers = [worker(), worker()];
    const app = new Application();
    const reader = new Redis(REDIS);
    app.make(Dispatcher).batches.useStore(new RedisBatchStore(reader, prefix));
    const bus = app.make(Dispatcher);
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const dispatched = await dispatchBatch();
        // dispatch() resolved once the four jobs were pushed; the quick ones may have run by then.
        expect(dispatched.totalJobs).toBe(4);
        expect(dispatched.pendingJobs).toBeGreaterThanOrEqual(2);
        // Both held jobs running, one on each worker (each runs one job at a time)...
        const held = async () => (await redis.lrange(`${prefix}::started`, 0, -1)).filter((e) => e.startsWith(dispatched.id));
        await until(`round ${round}: both held jobs running`, async () => (await held()).length === 2);
        const pids = new Set((await held()).map((entry) => entry.split(':')[1]));
        expect(pids).toEqual(new Set(workers.map((w) => String(w.child.pid))));
        // ... both let go by one command, so that they finish together.
        await redis.rpush(`${prefix}::go`, 'go', 'go');
        await until(`round ${round}: finally`, async () => (await count(dispatched.id, 'finally')) > 0);
        await until(`round ${round}: onSuccess`, async () => (await count(dispatched.id, 'onSuccess')) > 0);
        // Give a second run of either callback time to show up.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await count(dispatched.id, 'onSuccess')).toBe(1);
        expect(await count(dispatched.id, 'finally')).toBe(1);
        expect(await count(dispatched.id, 'catch')).toBe(0);

        // The test process, which dispatched nothing, finds the batch finished.
        const batch = await bus.findBatch(dispatched.id);
        expect(batch).toMatchObject({ name: 'race', totalJobs: 4, pendingJobs: 0, failedJobs: 0 });
        expect(batch?.finished()).toBe(true);
      }
      const callbacks = await redis.lrange(`${prefix}::callbacks`, 0, -1);
      expect(callbacks).toHaveLength(2 * ROUNDS);
      // Each callback job saw the batch done when it ran.
      for (const entry of callbacks) expect(entry).toMatch(/ (onSuccess|finally) pending=0:\d+$/);
      for (const w of workers) w.child.kill('SIGTERM');
      for (const w of workers) expect(await exitCode(w)).toBe(0);
    } finally {
      reader.disconnect();
    }
  }, 90_000);
});
