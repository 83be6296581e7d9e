// `app.shutdown()` closes what the application opened, so a script ends on its own: a process
// that dispatched a queued job to Redis exits after `await app.shutdown()` without process.exit().
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { buildPackages } from '../adapters/build-packages.js';
import { type Started, startProcess } from '@epilogue-internal/test-support/processes';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

const script = join(__dirname, 'fixtures/dispatch-and-shut-down.mjs');

/** Waits for the process to exit, for `ms` at most; kills it and fails when it is still alive then. */
async function exitsWithin(started: Started, ms: number): Promise<number | null> {
  const { child } = started;
  const code = await new Promise<number | null | 'alive'>((resolve) => {
    const timer = setTimeout(() => resolve('alive'), ms);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
    if (child.exitCode !== null) resolve(child.exitCode);
  });
  if (code === 'alive') {
    child.kill('SIGKILL');
    throw new Error(`the process was still alive ${ms} ms after it started:\n${started.output()}`);
  }
  return code;
}

beforeAll(() => buildPackages(['core', 'bus', 'queue', 'bullmq']), 120_000);

describeWithRedis('app.shutdown() in a script', () => {
  let prefix: string;

  beforeEach(() => {
    prefix = uniquePrefix('shutdown-closes');
  });
  afterEach(() => deleteKeys(prefix));

  it('closes the Redis connections of the queue driver, so the script exits on its own', async () => {
    const started = startProcess(prefix, script);
    expect(await exitsWithin(started, 5000)).toBe(0);
    const { id, exitedAfterMs } = JSON.parse(started.output().trim().split('\n').pop()!) as { id: string; exitedAfterMs: number };
    // Nothing was left to keep it alive: it ended well within the second Jest gives a test run.
    expect(started.output()).not.toMatch(/still alive/);
    expect(exitedAfterMs).toBeLessThan(1000);
    // The job was queued, not lost with the closing connections.
    const redis = new Redis(REDIS);
    try {
      expect(await redis.exists(`${prefix}:default:${id}`)).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});
