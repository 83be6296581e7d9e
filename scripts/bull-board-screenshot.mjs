// Takes docs/images/bull-board.png: bull-board (Express adapter) next to an Epilogue app on the
// local Redis, with a few completed jobs and one that failed for good, shot by headless
// Chromium. Not run in CI. Needs a build (node scripts/prepare.mjs), Redis on 127.0.0.1:6379
// and `chromium` (apt-get install -y chromium).
//
//   node scripts/bull-board-screenshot.mjs [output.png]
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { Application } from '../packages/core/dist/index.js';
import { ShouldQueue } from '../packages/bus/dist/index.js';
import { configureQueues, QueuedJob, Worker } from '../packages/queue/dist/index.js';
import { BullMQDriver } from '../packages/bullmq/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = process.argv[2] ?? join(root, 'docs/images/bull-board.png');
const connection = { host: '127.0.0.1', port: 6379 };
// A prefix of its own, deleted at the end: the script never touches anyone else's keys.
const prefix = `epilogue-board-shot:${randomUUID().slice(0, 8)}`;

class SendInvoice extends QueuedJob {
  constructor(invoice) {
    super();
    this.invoice = invoice;
  }
  handle() {}
}
ShouldQueue()(SendInvoice);

class ChargeCard extends QueuedJob {
  constructor(order) {
    super();
    this.order = order;
  }
  handle() {
    throw Object.assign(new Error(`card declined for order ${this.order}`), { code: 'E_CARD_DECLINED' });
  }
}
ShouldQueue()(ChargeCard);

const app = new Application({ report: () => undefined });
const driver = new BullMQDriver({ connection, prefix, keepCompleted: 100 });
configureQueues(app, { default: 'redis', connections: { redis: driver } });

for (const invoice of [1041, 1042, 1043, 1044]) await SendInvoice.dispatch(invoice);
await ChargeCard.dispatch(5107);
await new Worker(app, { connection: 'redis', stopWhenEmpty: true }).run();

// The board, as docs/dashboard.md wires it.
const queue = new Queue('default', { connection, prefix });
const board = new ExpressAdapter();
board.setBasePath('/queues');
createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter: board });
const http = express();
http.use('/queues', board.getRouter());
const server = http.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${server.address().port}/queues/queue/default?status=failed`;

try {
  await promisify(execFile)('chromium', [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--hide-scrollbars',
    '--virtual-time-budget=8000',
    `--screenshot=${output}`,
    '--window-size=1400,900',
    url,
  ]);
  console.log(`wrote ${output}`);
} finally {
  server.close();
  await queue.close();
  await driver.close();
  const redis = new Redis(connection);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
