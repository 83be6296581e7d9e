// The worker of the overload benchmark, in its own process (bench/lib/queue-child.mjs, side
// `overflow`): an application with the same BullMQ connection as the server, `SlowMail`
// registered, and a Worker that runs what the server's governor pushed there. It offers the
// operations queue-child.mjs forwards:
//
//   listen()   starts the worker
//   heard()    the ids of the jobs that ran since the last call
//   size()     jobs waiting or running on the connection
//   close()
import { importPackage } from './paths.mjs';
import { REDIS } from './queue-sides.mjs';
import { defineSlowMail } from './slow-io-job.mjs';

/** Jobs the worker runs at once: each awaits 2 s, so this is ~1,500 jobs/s. */
export const WORKER_CONCURRENCY = 3000;

/** @param {{ prefix: string }} options */
export async function overflowSide({ prefix }) {
  const { Application } = await importPackage('core');
  const { configureQueues, queueManager, Worker } = await importPackage('queue');
  const { BullMQDriver } = await importPackage('bullmq');
  let ids = [];
  await defineSlowMail((id) => ids.push(id));
  const app = new Application({ report: (error) => console.error('[bench] worker reported', error) });
  const driver = new BullMQDriver({ connection: REDIS, prefix });
  configureQueues(app, { default: 'redis', connections: { redis: driver } });
  let running;
  return {
    async listen() {
      const worker = new Worker(app, { connection: 'redis', concurrency: WORKER_CONCURRENCY });
      const done = worker.run();
      running = { stop: () => worker.stop().then(() => done) };
    },
    heard() {
      const heard = ids;
      ids = [];
      return heard;
    },
    size: () => queueManager(app).size(),
    async close() {
      await running?.stop();
      await driver.close();
    },
  };
}
