import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, QueuedJob, Worker, type QueueManager } from '@epilogue/queue';
import { BullMQDriver } from '@epilogue/bullmq';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import express from 'express';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

// bull-board as its users run it (its Express adapter on a real HTTP server), over Epilogue's
// Redis queues, driven through its JSON API as its pages drive it.

let healthy = false;
const ran: { label: string; attempt: number }[] = [];

@ShouldQueue()
class Charge extends QueuedJob {
  constructor(public label: string) {
    super();
  }
  handle() {
    if (!healthy) throw Object.assign(new Error(`card declined for ${this.label}`), { code: 'E_DECLINED' });
    ran.push({ label: this.label, attempt: this.attempts() });
  }
}

interface BoardJob {
  id: string;
  failedReason?: string;
  stacktrace?: string[];
}
interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  jobs: BoardJob[];
}

describeWithRedis('bull-board over Epilogue jobs (local Redis)', () => {
  let prefix: string;
  let driver: BullMQDriver;
  let manager: QueueManager;
  let app: Application;
  let queue: Queue;
  let server: Server;
  let base: string;

  beforeEach(async () => {
    healthy = false;
    ran.length = 0;
    prefix = uniquePrefix('board');
    app = new Application({ report: () => undefined });
    driver = new BullMQDriver({ connection: REDIS, prefix, blockTimeoutMs: 500 });
    manager = configureQueues(app, { default: 'redis', connections: { redis: driver } });
    queue = new Queue('default', { connection: REDIS, prefix });
    const board = new ExpressAdapter();
    board.setBasePath('/queues');
    createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter: board });
    const http = express();
    http.use('/queues', board.getRouter());
    server = http.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/queues/api`;
  });

  afterEach(async () => {
    server.close();
    await queue.close();
    await driver.close();
    await deleteKeys(prefix);
  });

  // Runs every ready job, then stops.
  const work = () => new Worker(app, { connection: 'redis', stopWhenEmpty: true }).run();

  const failedTab = async (): Promise<BoardQueue> => {
    const response = await fetch(`${base}/queues?activeQueue=default&status=failed&page=1&jobsPerPage=10`);
    expect(response.status).toBe(200);
    const { queues } = (await response.json()) as { queues: BoardQueue[] };
    return queues.find((entry) => entry.name === 'default')!;
  };

  const failOne = async (label: string): Promise<string> => {
    const id = String(await Charge.dispatch(label));
    await work();
    return id;
  };

  it('lists a job that failed for good in the failed tab, with its error and stack', async () => {
    const id = await failOne('ada');
    const tab = await failedTab();
    expect(tab.counts.failed).toBe(1);
    expect(tab.jobs.map((job) => job.id)).toEqual([id]);
    expect(tab.jobs[0].failedReason).toBe('[E_DECLINED] card declined for ada');
    expect(tab.jobs[0].stacktrace?.[0]).toMatch(/^\[E_DECLINED\] Error: card declined for ada\n\s+at /);
    // Epilogue's failed store still has it: queue:failed and queue:retry read it there.
    expect((await manager.failedJobs().list()).map((record) => record.id)).toEqual([id]);
  });

  it('runs a job retried from the dashboard once, as a first attempt, and forgets its failed record', async () => {
    const id = await failOne('grace');
    healthy = true;
    const response = await fetch(`${base}/queues/default/${id}/retry`, { method: 'PUT' });
    expect(response.status).toBe(204);
    await work();
    await work();
    expect(ran).toEqual([{ label: 'grace', attempt: 1 }]);
    expect(await manager.failedJobs().list()).toEqual([]);
    expect((await failedTab()).counts.failed).toBe(0);
  });

  it('runs every job of a dashboard Retry all once, and forgets their records', async () => {
    await failOne('ada');
    await failOne('grace');
    healthy = true;
    const response = await fetch(`${base}/queues/default/retry/failed`, { method: 'PUT' });
    expect(response.status).toBeLessThan(300);
    await work();
    expect(ran.sort((a, b) => a.label.localeCompare(b.label))).toEqual([
      { label: 'ada', attempt: 1 },
      { label: 'grace', attempt: 1 },
    ]);
    expect(await manager.failedJobs().list()).toEqual([]);
  });

  it('gives a job retried from the dashboard that fails again a new record and a new copy', async () => {
    const id = await failOne('alan');
    await fetch(`${base}/queues/default/${id}/retry`, { method: 'PUT' });
    await work();
    const [record] = await manager.failedJobs().list();
    expect(record.id).toBe(id);
    expect((await failedTab()).jobs.map((job) => job.id)).toEqual([id]);
    healthy = true;
    // And queue:retry still works on it: the copy goes, the job runs once more.
    await manager.failedJobs().retry(id);
    await work();
    expect(ran).toEqual([{ label: 'alan', attempt: 1 }]);
    expect((await failedTab()).counts.failed).toBe(0);
  });

  it('cleans only the copies: the records stay, and queue:retry runs them', async () => {
    const id = await failOne('edsger');
    // bull-board cleans jobs that finished more than 5 s ago; make this one old enough.
    const redis = new Redis(REDIS);
    await redis.zadd(`${prefix}:default:failed`, Date.now() - 60_000, id);
    redis.disconnect();
    const response = await fetch(`${base}/queues/default/clean/failed`, { method: 'PUT' });
    expect(response.status).toBe(200);
    expect((await failedTab()).counts.failed).toBe(0);
    expect((await manager.failedJobs().list()).map((record) => record.id)).toEqual([id]);
    healthy = true;
    await manager.failedJobs().retry(id);
    await work();
    expect(ran).toEqual([{ label: 'edsger', attempt: 1 }]);
  });

  it('removes the copy when the record is forgotten or flushed', async () => {
    const first = await failOne('barbara');
    await failOne('ken');
    expect((await failedTab()).counts.failed).toBe(2);
    await expect(manager.failedJobs().forget(first)).resolves.toBe(true);
    expect((await failedTab()).counts.failed).toBe(1);
    await expect(manager.failedJobs().flush()).resolves.toBe(1);
    expect((await failedTab()).counts.failed).toBe(0);
  });
});
