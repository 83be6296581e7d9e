import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { BullMQDriver } from '@epilogue/bullmq';
import { configureQueues, InvalidQueueConfigError, QueueUnavailableError } from '@epilogue/queue';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

@ShouldQueue()
class SendInvoice extends Job {
  constructor(public invoice: number) {
    super();
  }
  handle() {}
}

// A port on 127.0.0.1 where nothing listens: connections to it are refused.
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

// A TCP relay from `port` to the local Redis, started on demand: Redis "comes back" when it listens.
async function relayToRedis(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(REDIS.port, REDIS.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('BullMQDriver when Redis cannot be reached', () => {
  let driver: BullMQDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('rejects a dispatch with QueueUnavailableError after pushTimeoutMs, and reports one nobody awaits', async () => {
    const port = await closedPort();
    const reported: unknown[] = [];
    const app = new Application({ report: (error) => reported.push(error) });
    // ioredis keeps a 2 s timer per client closed before it ever connected; 50 ms lets Jest exit.
    driver = new BullMQDriver({ connection: { host: '127.0.0.1', port, disconnectTimeout: 50 }, pushTimeoutMs: 300 });
    configureQueues(app, { default: 'redis', connections: { redis: driver } });

    const started = Date.now();
    const error = await SendInvoice.dispatch(1).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect(error).toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' });
    expect((error as Error).message).toContain(`Redis at 127.0.0.1:${port} within 300 ms`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3000);

    // Fire and forget: the failure still reaches the reporter rather than vanishing.
    SendInvoice.dispatch(2);
    const deadline = Date.now() + 3000;
    while (reported.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reported).toEqual([expect.any(QueueUnavailableError)]);
  });

  it('lets pushes that wait fail with DriverClosedError when the driver closes, and shares one listener among them', async () => {
    const port = await closedPort();
    driver = new BullMQDriver({ connection: { host: '127.0.0.1', port, disconnectTimeout: 50 }, pushTimeoutMs: 10_000 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const pushes = Array.from({ length: 50 }, (_, i) =>
        driver!.push(`job ${i}`, { queue: 'default' }).then(
          () => 'pushed',
          (error: { code?: string }) => error.code,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      await driver.close();
      expect(await Promise.all(pushes)).toEqual(Array.from({ length: 50 }, () => 'E_DRIVER_CLOSED'));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses a pushTimeoutMs that is not a positive number of ms', () => {
    expect(() => new BullMQDriver({ connection: REDIS, pushTimeoutMs: 0 })).toThrow(InvalidQueueConfigError);
    expect(() => new BullMQDriver({ connection: REDIS, pushTimeoutMs: Number.NaN })).toThrow(/pushTimeoutMs/);
    expect(() => new BullMQDriver({ connection: REDIS, pushTimeoutMs: 2 ** 31 })).toThrow(/at most 2147483647/);
  });
});

describeWithRedis('BullMQDriver producer connection (local Redis)', () => {
  it('connects even when the connection options say lazyConnect', async () => {
    const prefix = uniquePrefix('lazy');
    const driver = new BullMQDriver({ connection: { ...REDIS, lazyConnect: true }, prefix, pushTimeoutMs: 2000 });
    try {
      await expect(driver.push('{}', { queue: 'default', id: 'lazy' })).resolves.toEqual({ id: 'lazy' });
      await expect(driver.size('default')).resolves.toBe(1);
    } finally {
      await driver.close();
      await deleteKeys(prefix);
    }
  });
});

describeWithRedis('BullMQDriver when Redis comes back (local Redis behind a relay)', () => {
  it('completes a push made while Redis was down once it answers within pushTimeoutMs', async () => {
    const port = await closedPort();
    const prefix = uniquePrefix('outage');
    const driver = new BullMQDriver({ connection: { host: '127.0.0.1', port }, prefix, pushTimeoutMs: 5000 });
    let relay: { close(): Promise<void> } | undefined;
    try {
      const pushed = driver.push('{"body":1}', { queue: 'default', id: 'comes-back' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      relay = await relayToRedis(port);
      await expect(pushed).resolves.toEqual({ id: 'comes-back' });
      await expect(driver.size('default')).resolves.toBe(1);
    } finally {
      await driver.close();
      await relay?.close();
      await deleteKeys(prefix);
    }
  });
});

describeWithRedis('BullMQDriver with a client of the application', () => {
  it('takes a client of another copy of ioredis, opens its own connections from it, and leaves it open', async () => {
    let OtherRedis!: typeof Redis;
    jest.isolateModules(() => {
      // A second copy of ioredis, as an application can have next to the driver's.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ({ Redis: OtherRedis } = require('ioredis') as { Redis: typeof Redis });
    });
    expect(OtherRedis).not.toBe(Redis);
    // Another database than the default: the driver's connections must come from this client.
    const client = new OtherRedis({ ...REDIS, db: 3 });
    const prefix = uniquePrefix('client');
    const driver = new BullMQDriver({ connection: client, prefix, pushTimeoutMs: 2000 });
    try {
      await expect(driver.push('{}', { queue: 'default', id: 'mine' })).resolves.toEqual({ id: 'mine' });
      await expect(driver.size('default')).resolves.toBe(1);
      expect((await client.keys(`${prefix}:*`)).length).toBeGreaterThan(0);
      await driver.close();
      await expect(client.ping()).resolves.toBe('PONG');
    } finally {
      await driver.close();
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    }
  });
});
