import { describeQueueDriver } from '@epilogue/queue';
import { BullMQDriver } from '@epilogue/bullmq';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '../../../test/support/redis.js';

describeWithRedis('BullMQDriver on the local Redis', () => {
  const prefixes: string[] = [];
  afterAll(async () => {
    await Promise.all(prefixes.map(deleteKeys));
  });

  describeQueueDriver(
    'BullMQDriver',
    () => {
      const prefix = uniquePrefix('driver');
      prefixes.push(prefix);
      return new BullMQDriver({ connection: REDIS, prefix, blockTimeoutMs: 1000 });
    },
    { runsOnPush: false },
  );
});
