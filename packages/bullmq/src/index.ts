/**
 * The Redis queue driver for Epilogue, on BullMQ: jobs survive crashes and are shared by
 * workers on every machine that reaches the same Redis; failed jobs are kept in Redis.
 *
 * @module
 * @example
 * import { configureQueues, Worker } from '@epilogue/queue';
 * import { BullMQDriver } from '@epilogue/bullmq';
 *
 * configureQueues(app, {
 *   default: 'redis',
 *   connections: { redis: new BullMQDriver({ connection: { host: '127.0.0.1', port: 6379 }, prefix: 'epilogue' }) },
 * });
 * await new Worker(app, { connection: 'redis', queues: ['high', 'default'], concurrency: 8 }).run();
 */
export { BullMQDriver } from './bullmq-driver.js';
export type { BullMQDriverOptions } from './bullmq-driver.js';
export { RedisAtomicStore } from './redis-atomic-store.js';
export { RedisBatchStore } from './redis-batch-store.js';
export type { RedisBatchStoreOptions } from './redis-batch-store.js';
export { RedisFailedJobStore } from './redis-failed-job-store.js';
