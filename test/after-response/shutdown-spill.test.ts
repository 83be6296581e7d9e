// A deploy loses no after-response job: a server holding 1,000 pending 3 s jobs gets SIGTERM
// with a 1 s shutdown timeout; what had not finished is pushed to the overflow connection
// (Redis) and a worker in another process runs every job, each exactly once.
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { exitCode, type Started, startProcess, startWorkerProcess } from '@epilogue-internal/test-support/processes';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

const appModule = join(__dirname, 'fixtures/spill-app.mjs');
const serverScript = join(__dirname, 'fixtures/spill-server.mjs');

function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

async function firstLine(started: Started, key: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = started.output().split('\n').find((text) => text.startsWith(`{"${key}"`));
    if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
    if (Date.now() > deadline || started.child.exitCode !== null) throw new Error(`no ${key} line:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeWithRedis('SIGTERM with after-response work pending', () => {
  let prefix: string;
  let redis: Redis;
  const children: Started[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('spill');
    redis = new Redis(REDIS);
  });
  afterEach(async () => {
    for (const { child } of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    redis.disconnect();
    await deleteKeys(prefix);
  });

  it('spills 1,000 unfinished 3 s jobs to Redis at a 1 s timeout; a worker runs each exactly once', async () => {
    const server = startProcess(prefix, serverScript);
    children.push(server);
    const { port } = (await firstLine(server, 'port')) as { port: number };
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    const statuses = await Promise.all(Array.from({ length: 1000 }, (_, n) => get(agent, `http://127.0.0.1:${port}/${n}`)));
    agent.destroy();
    expect(statuses.every((status) => status === 200)).toBe(true);

    server.child.kill('SIGTERM');
    expect(await exitCode(server)).toBe(0);
    const { stats } = (await firstLine(server, 'stats')) as { stats: Record<string, number> };
    // Nothing finished here within the second; the 64 running (the default concurrency) and the
    // 936 waiting were all pushed, and the report names the running ones as at-least-once.
    expect(stats).toMatchObject({ completed: 0, overflowed: 1000 });
    expect(server.output()).toMatch(/E_SHUTDOWN_TIMEOUT/);
    expect(server.output()).toMatch(/1000 job\(s\) were pushed to the overflow connection "redis" to run on a worker \(SendSlowMail ×64 had started here/);
    expect(await redis.llen(`${prefix}::ran`)).toBe(0);

    const worker = startWorkerProcess(prefix, appModule, ['--concurrency', '1000']);
    children.push(worker);
    const deadline = Date.now() + 30_000;
    while ((await redis.llen(`${prefix}::ran`)) < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((resolve) => setTimeout(resolve, 300));
    worker.child.kill('SIGTERM');
    await once(worker.child, 'exit');

    const ran = await redis.lrange(`${prefix}::ran`, 0, -1);
    const numbers = ran.map((entry) => Number(entry.split(':')[0])).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 1000 }, (_, n) => n));
    expect(new Set(ran.map((entry) => entry.split(':')[1]))).toEqual(new Set([String(worker.child.pid)]));
  }, 60_000);
});
